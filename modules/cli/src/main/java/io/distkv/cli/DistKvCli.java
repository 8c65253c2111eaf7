package io.distkv.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.distkv.cli.RespLink.CliFailure;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The {@code distkv} command line. It speaks RESP to a node ({@link RespLink}: dist-kv's DKV.*
 * commands, docs/resp.md), so a command starts no ActorSystem and joins no cluster. Exit codes:
 * 0 done, 1 not found or condition failed, 2 usage error, 3 the cluster could not do it
 * (unreachable, timeout, read-only, ...). {@code -o json} prints one JSON object per command.
 */
@Command(name = "distkv", mixinStandardHelpOptions = true, version = "distkv 0.1.0",
    description = "Talks to a dist-kv cluster over RESP (default: the local one from `make run`, conf/client.conf).")
public final class DistKvCli implements Callable<Integer> {
  static final int OK = 0;
  static final int NOT_FOUND_OR_FAILED = 1;
  static final int USAGE = 2;
  static final int CLUSTER_ERROR = 3;

  /** How long add-node, remove-node and rebalance may take (the node's own limit is the same). */
  static final Duration MEMBERSHIP_TIMEOUT = Duration.ofMinutes(10);

  @Option(names = "--contact", scope = CommandLine.ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "A node's RESP endpoint (repeatable, tried in order); overrides distkv.cli.endpoints.")
  List<String> contacts;

  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FILE",
      description = "Client config (HOCON, keys under distkv.cli). Default: the repository's conf/client.conf "
          + "if present, else 127.0.0.1:6401.")
  Path config;

  @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DURATION",
      description = "How long to wait for an answer, e.g. 5s or 500ms (default distkv.cli.timeout, 5s).")
  String timeout;

  @Option(names = {"-o", "--output"}, scope = CommandLine.ScopeType.INHERIT, paramLabel = "FORMAT",
      description = "text (default) or json: one JSON object per command on standard output.")
  String output;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /** Where and how to talk: RESP endpoints, the AUTH password, the answer timeout. */
  record Target(List<String> endpoints, String password, Duration timeout) {}

  /**
   * The target from {@code distkv.cli} in the config file (or conf/client.conf), then the
   * {@code DISTKV_PASSWORD} environment variable, then the command line's --contact and --timeout.
   */
  Target target() {
    Path defaultConf = Path.of(System.getProperty("distkv.cli.default-config", "conf/client.conf"));
    Path file = config != null ? config : Files.isReadable(defaultConf) ? defaultConf : null;
    List<String> endpoints = List.of("127.0.0.1:6401");
    String password = "";
    Duration wait = Duration.ofSeconds(5);
    if (file != null) {
      if (!Files.isReadable(file)) {
        throw new CliFailure(USAGE, "--config " + file + ": no such file");
      }
      try {
        Config c = ConfigFactory.parseFile(file.toFile()).resolve();
        if (c.hasPath("distkv.cli")) {
          for (String k : c.getConfig("distkv.cli").root().keySet()) {
            if (!List.of("endpoints", "password", "timeout").contains(k)) {
              throw new CliFailure(USAGE, "bad client config " + file + ": distkv.cli." + k
                  + ": unknown key (known: endpoints, password, timeout)");
            }
          }
        }
        if (c.hasPath("distkv.cli.endpoints")) {
          endpoints = c.getStringList("distkv.cli.endpoints");
        }
        if (c.hasPath("distkv.cli.password")) {
          password = c.getString("distkv.cli.password");
        }
        if (c.hasPath("distkv.cli.timeout")) {
          wait = c.getDuration("distkv.cli.timeout");
        }
      } catch (ConfigException e) {
        throw new CliFailure(USAGE, "bad client config " + file + ": " + e.getMessage());
      }
    }
    String fromEnv = System.getenv("DISTKV_PASSWORD");
    if (fromEnv != null && !fromEnv.isEmpty()) {
      password = fromEnv;
    }
    if (contacts != null && !contacts.isEmpty()) {
      endpoints = contacts;
    }
    if (timeout != null) {
      wait = parseDuration("--timeout", timeout);
    }
    if (endpoints.isEmpty()) {
      throw new CliFailure(USAGE, "no endpoint: give --contact HOST:PORT or distkv.cli.endpoints");
    }
    return new Target(endpoints, password, wait);
  }

  boolean json() {
    if (output == null || output.equals("text")) {
      return false;
    }
    if (output.equals("json")) {
      return true;
    }
    throw new CliFailure(USAGE, "-o " + output + ": the output format is text or json");
  }

  static Duration parseDuration(String option, String text) {
    try {
      Duration d = ConfigFactory.parseString("d = " + text).getDuration("d");
      if (d.isNegative() || d.isZero()) {
        throw new CliFailure(USAGE, option + ": '" + text + "' must be positive");
      }
      return d;
    } catch (ConfigException e) {
      throw new CliFailure(USAGE, option + ": '" + text + "' is not a duration (e.g. 5s, 500ms)");
    }
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(Object resp) {
    return resp == null ? null : resp instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : resp.toString();
  }

  static long number(Object resp) {
    return resp instanceof Long l ? l : Long.parseLong(text(resp));
  }

  /** A RESP2 map (a flat key, value, key, value... array) by key. */
  static Map<String, Object> map(Object resp) {
    List<?> flat = (List<?>) resp;
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put(text(flat.get(i)), flat.get(i + 1));
    }
    return m;
  }

  /**
   * The value of a write: the VALUE argument, or the bytes of {@code --value-file} ("-" = standard
   * input; binary-safe, and beyond what an argument can carry), exactly one of them.
   */
  static byte[] value(String argument, String file, java.io.InputStream stdin) {
    if ((argument == null) == (file == null)) {
      throw new CliFailure(USAGE, "give the value either as VALUE or with --value-file FILE (- = standard input), not "
          + (argument == null ? "neither" : "both"));
    }
    if (argument != null) {
      return utf8(argument);
    }
    try {
      return file.equals("-") ? stdin.readAllBytes() : Files.readAllBytes(Path.of(file));
    } catch (java.io.IOException e) {
      throw new CliFailure(USAGE, "cannot read --value-file " + file + ": " + e);
    }
  }

  /** Base of the subcommands: one RESP connection for the duration of one command, and its output. */
  abstract static class NodeCommand implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    Target target;
    private boolean json;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    boolean json() {
      return json;
    }

    /** Prints the command's result: {@code fields} as one JSON object, or {@code text} as it is. */
    void print(Map<String, Object> fields, String text) {
      if (json) {
        out().println(Json.write(fields));
      } else if (text != null) {
        out().println(text);
      }
    }

    /** A condition that failed (exit 1): JSON on standard output, text on standard error. */
    int failed(Map<String, Object> fields, String text) {
      if (json) {
        out().println(Json.write(fields));
      } else {
        err().println(text);
      }
      return NOT_FOUND_OR_FAILED;
    }

    /** How long this command may wait for its answer. */
    Duration answerTimeout() {
      return target.timeout();
    }

    abstract int run(RespLink node);

    @Override
    public Integer call() {
      try {
        json = parent.json();
        target = parent.target();
        try (RespLink node = RespLink.connect(target.endpoints(), target.password(), answerTimeout())) {
          return run(node);
        }
      } catch (CliFailure e) {
        report(spec, json, e);
        return e.exitCode;
      }
    }
  }

  /** Prints a failure: "distkv: message" on standard error, or a JSON error object there with -o json. */
  static void report(CommandLine.Model.CommandSpec spec, boolean json, CliFailure e) {
    PrintWriter err = spec.commandLine().getErr();
    if (json) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", e.getMessage());
      error.put("exit", e.exitCode);
      err.println(Json.write(error));
    } else {
      err.println("distkv: " + e.getMessage());
    }
  }

  static Map<String, Object> fields(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Write VALUE under KEY; prints the new version.")
  static final class Put extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Option(names = "--if-absent", description = "Only if KEY has no value (exit 1 if it has).")
    boolean ifAbsent;

    @Override
    int run(RespLink node) {
      byte[] bytes = value(value, valueFile, System.in);
      if (ifAbsent) {
        List<?> r = (List<?>) node.call("DKV.CAS", utf8(key), 0, bytes);
        long version = number(r.get(1));
        if (number(r.get(0)) == 0) {
          return failed(fields("applied", false, "version", version), "exists: current version is " + version);
        }
        print(fields("applied", true, "version", version), "OK version " + version);
        return OK;
      }
      long version = number(node.call("DKV.SET", utf8(key), bytes));
      print(fields("applied", true, "version", version), "OK version " + version);
      return OK;
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Print KEY's value (exit 1 if absent).")
  static final class Get extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--eventual", description = "Read a replica's current state (may be stale; works without a quorum).")
    boolean eventual;

    @Option(names = "--show-version", description = "Also print the value's version (a second line).")
    boolean showVersion;

    @Override
    int run(RespLink node) {
      if (eventual) {
        node.readOnly();
      }
      Object r = node.call("DKV.GETV", utf8(key));
      if (r == null) {
        return failed(fields("key", key, "found", false), "not found: " + key);
      }
      List<?> pair = (List<?>) r;
      byte[] value = (byte[]) pair.get(0);
      long version = number(pair.get(1));
      print(fields("key", key, "found", true, "value", value, "version", version),
          new String(value, StandardCharsets.UTF_8) + (showVersion ? "\nversion " + version : ""));
      return OK;
    }
  }

  @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true, description = "Delete KEY (absent is fine).")
  static final class Del extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    int run(RespLink node) {
      long version = number(node.call("DKV.DEL", utf8(key)));
      print(fields("applied", true, "version", version), "OK version " + version);
      return OK;
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Write VALUE only if KEY's version is EXPECTED_VERSION (0 = absent); exit 1 on conflict.")
  static final class Cas extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "EXPECTED_VERSION")
    long expected;

    @Parameters(index = "2", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Override
    int run(RespLink node) {
      List<?> r = (List<?>) node.call("DKV.CAS", utf8(key), expected, value(value, valueFile, System.in));
      long version = number(r.get(1));
      if (number(r.get(0)) == 0) {
        return failed(fields("applied", false, "version", version), "conflict: current version is " + version);
      }
      print(fields("applied", true, "version", version), "OK version " + version);
      return OK;
    }
  }

  @Command(name = "scan", mixinStandardHelpOptions = true,
      description = "Print live keys in [--from, --to) in key order as KEY<TAB>VALUE lines, one page; "
          + "if there is more, prints the --after token to resume with (on stderr).")
  static final class Scan extends NodeCommand {
    @Option(names = "--from", paramLabel = "KEY", description = "First key (inclusive); default the first key.")
    String from;

    @Option(names = "--to", paramLabel = "KEY", description = "End key (exclusive); default after the last key.")
    String to;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Most entries (1..10000, default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "TOKEN", description = "Continue a previous scan from its token (replaces --from).")
    String after;

    @Option(names = "--eventual", description = "Read replicas' current state (may be stale).")
    boolean eventual;

    @Option(names = "--show-version", description = "Add each entry's version as a third column.")
    boolean showVersion;

    @Override
    int run(RespLink node) {
      if (eventual) {
        node.readOnly();
      }
      List<Object> args = new ArrayList<>();
      if (after != null) {
        args.addAll(List.of("AFTER", after));
      } else if (from != null) {
        args.addAll(List.of("FROM", utf8(from)));
      }
      if (to != null) {
        args.addAll(List.of("TO", utf8(to)));
      }
      args.addAll(List.of("COUNT", limit));
      List<?> page = (List<?>) node.call("DKV.SCAN", args.toArray());
      String next = text(page.get(0));
      List<Object> entries = new ArrayList<>();
      StringBuilder lines = new StringBuilder();
      for (Object o : (List<?>) page.get(1)) {
        List<?> e = (List<?>) o;
        long version = number(e.get(2));
        entries.add(fields("key", e.get(0), "value", e.get(1), "version", version));
        lines.append(text(e.get(0))).append('\t').append(text(e.get(1))).append(showVersion ? "\t" + version : "")
            .append('\n');
      }
      if (json()) {
        print(fields("entries", entries, "next", next.isEmpty() ? null : next), null);
        return OK;
      }
      out().print(lines);
      out().flush();
      if (!next.isEmpty()) {
        err().println("more: distkv scan --after " + next + (to != null ? " --to " + to : "") + " --limit " + limit);
      }
      return OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Nodes, partitions and leaders as tables.")
  static final class Status extends NodeCommand {
    @Option(names = "--partitions", description = "Also list every partition.")
    boolean partitions;

    @Override
    int run(RespLink node) {
      Map<String, Object> s = map(node.call("DKV.STATUS"));
      List<Map<String, Object>> nodes = new ArrayList<>();
      for (Object n : (List<?>) s.get("nodes")) {
        Map<String, Object> m = map(n);
        nodes.add(fields("id", text(m.get("id")), "address", text(m.get("address")), "reachable", number(m.get("reachable")) == 1,
            "replicas", number(m.get("replicas")), "leaders", number(m.get("leaders"))));
      }
      List<Map<String, Object>> table = new ArrayList<>();
      Map<String, Long> byState = new LinkedHashMap<>(Map.of("ACTIVE", 0L, "READONLY", 0L, "OFFLINE", 0L));
      for (Object p : (List<?>) s.get("partition_table")) {
        Map<String, Object> m = map(p);
        List<String> replicas = new ArrayList<>();
        ((List<?>) m.get("replicas")).forEach(r -> replicas.add(text(r)));
        String state = text(m.get("state"));
        byState.merge(state, 1L, Long::sum);
        table.add(fields("partition", number(m.get("partition")), "state", state, "leader", text(m.get("leader")),
            "term", number(m.get("term")), "commit", number(m.get("commit")), "replicas", replicas));
      }
      long total = number(s.get("partitions"));
      long active = byState.get("ACTIVE");
      if (json()) {
        print(fields("node", text(s.get("node")), "partitions", total, "active", active, "read_only", byState.get("READONLY"),
            "offline", byState.get("OFFLINE"), "nodes", nodes, "partition_table", table), null);
        return active == total ? OK : NOT_FOUND_OR_FAILED;
      }
      PrintWriter o = out();
      o.printf("%d nodes, %d partitions (%d active, %d read-only, %d offline)%n", nodes.size(), total, active,
          byState.get("READONLY"), byState.get("OFFLINE"));
      o.printf("%-12s %-32s %-11s %8s %8s%n", "NODE", "ADDRESS", "STATE", "REPLICAS", "LEADERS");
      for (Map<String, Object> n : nodes) {
        o.printf("%-12s %-32s %-11s %8d %8d%n", n.get("id"), n.get("address"),
            Boolean.TRUE.equals(n.get("reachable")) ? "UP" : "UNREACHABLE", n.get("replicas"), n.get("leaders"));
      }
      if (partitions) {
        o.println();
        o.printf("%-9s %-9s %-10s %6s %8s  %s%n", "PARTITION", "STATE", "LEADER", "TERM", "COMMIT", "REPLICAS");
        for (Map<String, Object> p : table) {
          o.printf("%-9d %-9s %-10s %6d %8d  %s%n", p.get("partition"), p.get("state"),
              p.get("leader") == null ? "-" : p.get("leader"), p.get("term"), p.get("commit"),
              String.join(",", (List<String>) p.get("replicas")));
        }
      }
      return active == total ? OK : NOT_FOUND_OR_FAILED;
    }
  }

  @Command(name = "leader", mixinStandardHelpOptions = true, description = "Print KEY's partition and its leader node.")
  static final class Leader extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    int run(RespLink node) {
      long p = number(node.call("DKV.PARTITION", utf8(key)));
      String leader = text(node.call("DKV.LEADER", utf8(key)));
      if (leader == null) {
        return failed(fields("key", key, "partition", p, "leader", null), "partition " + p + " has no leader now");
      }
      print(fields("key", key, "partition", p, "leader", leader), "partition " + p + " leader " + leader);
      return OK;
    }
  }

  @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
      description = "Move PARTITION's leadership to NODE and wait until NODE leads it.")
  static final class TransferLeader extends NodeCommand {
    @Parameters(index = "0", paramLabel = "PARTITION")
    int partition;

    @Parameters(index = "1", paramLabel = "NODE")
    String node;

    @Override
    int run(RespLink link) {
      link.call("DKV.TRANSFERLEADER", partition, node);
      long deadline = System.nanoTime() + target.timeout().toNanos();
      while (System.nanoTime() < deadline) {
        Map<String, Object> p = map(((List<?>) map(link.call("DKV.STATUS")).get("partition_table")).get(partition));
        if (node.equals(text(p.get("leader")))) {
          long term = number(p.get("term"));
          print(fields("partition", partition, "leader", node, "term", term),
              "partition " + partition + " leader " + node + " (term " + term + ")");
          return OK;
        }
        pause(100);
      }
      throw new CliFailure(CLUSTER_ERROR, "partition " + partition + " did not move to " + node + " within " + target.timeout());
    }
  }

  /** add-node, remove-node and rebalance: a membership change the node carries out; prints its summary. */
  abstract static class MembershipCommand extends NodeCommand {
    abstract Object[] command();

    @Override
    Duration answerTimeout() {
      return MEMBERSHIP_TIMEOUT.plusSeconds(30); // the node answers within MEMBERSHIP_TIMEOUT
    }

    @Override
    int run(RespLink node) {
      Object[] c = command();
      Object[] args = java.util.Arrays.copyOfRange(c, 1, c.length);
      String summary = text(node.call((String) c[0], args));
      print(fields("summary", summary), summary);
      return OK;
    }
  }

  @Command(name = "add-node", mixinStandardHelpOptions = true,
      description = {"Place replicas on NODE, a node that has joined the cluster (started with its seed nodes) "
          + "and holds none: the fewest replicas needed move to it, each with Raft membership changes "
          + "(learner, catch up, voter, old replica removed). Waits until done (up to 10 minutes)."})
  static final class AddNode extends MembershipCommand {
    @Parameters(index = "0", paramLabel = "NODE")
    String node;

    @Override
    Object[] command() {
      return new Object[] {"DKV.ADDNODE", node};
    }
  }

  @Command(name = "remove-node", mixinStandardHelpOptions = true,
      description = {"Move every replica off NODE (it can then be stopped). Waits until done (up to 10 minutes)."})
  static final class RemoveNode extends MembershipCommand {
    @Parameters(index = "0", paramLabel = "NODE")
    String node;

    @Override
    Object[] command() {
      return new Object[] {"DKV.REMOVENODE", node};
    }
  }

  @Command(name = "rebalance", mixinStandardHelpOptions = true,
      description = {"Bring every partition's replicas in line with the current placement "
          + "(finishes an add-node or remove-node that was interrupted)."})
  static final class Rebalance extends MembershipCommand {
    @Override
    Object[] command() {
      return new Object[] {"DKV.REBALANCE"};
    }
  }

  @Command(name = "wait-ready", mixinStandardHelpOptions = true,
      description = "Wait until a node answers and every partition has a leader.")
  static final class WaitReady implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--within", paramLabel = "DURATION", defaultValue = "60s", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    String within;

    @Override
    public Integer call() {
      boolean json = false;
      try {
        json = parent.json();
        Target target = parent.target();
        long deadline = System.nanoTime() + parseDuration("--within", within).toNanos();
        String last = "no node answered";
        while (System.nanoTime() < deadline) {
          try (RespLink node = RespLink.connect(target.endpoints(), target.password(), target.timeout())) {
            while (System.nanoTime() < deadline) {
              Map<String, Object> s = map(node.call("DKV.STATUS"));
              long total = number(s.get("partitions"));
              long led = number(s.get("partitions_with_leader"));
              if (led == total) {
                PrintWriter out = spec.commandLine().getOut();
                out.println(json ? Json.write(fields("ready", true, "partitions", total))
                    : "ready: all " + total + " partitions have a leader");
                return OK;
              }
              last = led + " of " + total + " partitions have a leader";
              pause(250);
            }
          } catch (CliFailure e) {
            if (e.exitCode == USAGE) {
              throw e;
            }
            last = e.getMessage();
            pause(250);
          }
        }
        throw new CliFailure(CLUSTER_ERROR, "not ready after " + within + ": " + last);
      } catch (CliFailure e) {
        report(spec, json, e);
        return e.exitCode;
      }
    }
  }

  @Command(name = "config-check", mixinStandardHelpOptions = true,
      description = "Validate a node's config file (every key, unknown keys with the nearest valid one) without "
          + "starting a node; exit 0 if valid, 2 with every problem listed otherwise.")
  static final class ConfigCheck implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The node's HOCON file, e.g. conf/node1.conf.")
    Path file;

    @Override
    public Integer call() {
      boolean json = false;
      try {
        json = parent.json();
        if (!Files.isRegularFile(file)) {
          throw new CliFailure(USAGE, file + ": no such file");
        }
        io.distkv.common.config.NodeConfig c;
        try {
          c = io.distkv.common.config.NodeConfig.from(ConfigFactory.parseFile(file.toFile()));
        } catch (io.distkv.common.config.ConfigValidationException e) {
          throw new CliFailure(USAGE, file + ": " + e.getMessage());
        } catch (ConfigException e) {
          throw new CliFailure(USAGE, file + ": not valid HOCON: " + e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println(json ? Json.write(fields("file", file.toString(), "valid", true, "node", c.nodeId(), "host", c.host(),
            "port", c.port(), "partitions", c.placement().partitions(), "replication_factor",
            c.placement().replicationFactor()))
            : file + ": valid (node " + c.nodeId() + " at " + c.host() + ":" + c.port() + ", "
                + c.placement().partitions() + " partitions, RF " + c.placement().replicationFactor() + ")");
        return OK;
      } catch (CliFailure e) {
        report(spec, json, e);
        return e.exitCode;
      }
    }
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms); // polling a cluster from a shell tool, with a deadline
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Every subcommand, in the order help lists them. */
  static final List<Class<?>> SUBCOMMANDS = List.of(Put.class, Get.class, Del.class, Cas.class, Scan.class, Status.class,
      Leader.class, TransferLeader.class, AddNode.class, RemoveNode.class, Rebalance.class, WaitReady.class,
      ConfigCheck.class, CommandLine.HelpCommand.class);

  /**
   * The command line with the subcommand that {@code args} names, or with all of them when it names
   * none it knows (usage, help): picocli builds a command's model by reflection, and building only
   * the one that runs halves the CLI's start.
   */
  static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new DistKvCli());
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("-")) {
        if (List.of("--contact", "--config", "--timeout", "-o", "--output").contains(a)) {
          i++; // the option's value
        }
        continue;
      }
      for (Class<?> c : SUBCOMMANDS) {
        Command spec = c.getAnnotation(Command.class);
        if (!spec.name().equals("help") && (spec.name().equals(a) || List.of(spec.aliases()).contains(a))) {
          cl.addSubcommand(c);
          return cl;
        }
      }
      break; // an option's value or an unknown command: let picocli say so with every command listed
    }
    for (Class<?> c : SUBCOMMANDS) {
      cl.addSubcommand(c);
    }
    return cl;
  }

  /**
   * A failure no command reported itself: printed, exit {@link #CLUSTER_ERROR}. A class, not a
   * lambda: a lambda of a picocli (Java 5) interface keeps picocli out of the class-data archive.
   */
  static final class UnexpectedFailure implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
      commandLine.getErr().println("distkv: " + e);
      return CLUSTER_ERROR;
    }
  }

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(args);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(new UnexpectedFailure());
    int code = cl.execute(args);
    out.flush();
    err.flush();
    if (Boolean.getBoolean("distkv.cli.train")) {
      train();
    }
    return code;
  }

  /**
   * Loads what the other commands and output forms need, so the class-data archive scripts/distkv
   * makes from its first command (run with -Ddistkv.cli.train=true) serves every command.
   */
  static void train() {
    CommandLine all = new CommandLine(new DistKvCli());
    for (Class<?> c : SUBCOMMANDS) {
      all.addSubcommand(c);
    }
    all.parseArgs("status", "--partitions");
    Json.write(fields("text", "x", "bytes", new byte[] {(byte) 0xff}, "number", 1L, "flag", true, "none", null,
        "list", List.of(fields("nested", 2))));
    parseDuration("--timeout", "5s");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }
}
