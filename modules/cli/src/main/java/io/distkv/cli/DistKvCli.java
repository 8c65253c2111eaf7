package io.distkv.cli;

import io.distkv.client.BlockingDistKvClient;
import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.client.KeyValue;
import io.distkv.client.ScanPage;
import io.distkv.client.Versioned;
import io.distkv.client.WriteResult;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.error.DistKvException;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.PartitionState;
import io.distkv.common.protocol.ScanToken;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The {@code distkv} command line. Exit codes: 0 done, 1 not found or condition failed, 2 usage
 * error, 3 the cluster could not do it (unreachable, timeout, read-only, ...).
 */
@Command(name = "distkv", mixinStandardHelpOptions = true, version = "distkv 0.1.0",
    description = "Talks to a dist-kv cluster (default: the local one from `make run`, conf/client.conf).",
    subcommands = {DistKvCli.Put.class, DistKvCli.Get.class, DistKvCli.Del.class, DistKvCli.Cas.class,
        DistKvCli.Scan.class, DistKvCli.Status.class, DistKvCli.Leader.class, DistKvCli.TransferLeader.class,
        DistKvCli.AddNode.class, DistKvCli.RemoveNode.class, DistKvCli.Rebalance.class,
        DistKvCli.WaitReady.class, DistKvCli.ConfigCheck.class, CommandLine.HelpCommand.class})
public final class DistKvCli implements Callable<Integer> {
  static final int OK = 0;
  static final int NOT_FOUND_OR_FAILED = 1;
  static final int USAGE = 2;
  static final int CLUSTER_ERROR = 3;

  @Option(names = "--contact", scope = CommandLine.ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "A node to talk to (repeatable); overrides the config's contact points.")
  List<String> contacts;

  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FILE", description = "Client config (HOCON, keys under distkv.client). "
      + "Default: conf/client.conf if present, else built-in defaults (127.0.0.1:7101).")
  Path config;

  @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DURATION", description = "Request deadline, e.g. 5s or 500ms (default from config).")
  String timeout;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  ClientSettings settings() {
    ClientSettings s;
    if (config != null) {
      s = ClientSettings.fromFile(config);
    } else if (Files.isReadable(Path.of("conf/client.conf"))) {
      s = ClientSettings.fromFile(Path.of("conf/client.conf"));
    } else {
      s = ClientSettings.fromConfig(com.typesafe.config.ConfigFactory.empty());
    }
    if (contacts != null && !contacts.isEmpty()) {
      s = s.withContactPoints(contacts);
    }
    if (timeout != null) {
      Duration d = parseDuration(timeout);
      s = new ClientSettings(s.contactPoints(), s.host(), s.port(), d, s.attemptTimeout().compareTo(d) > 0 ? d : s.attemptTimeout(),
          s.maxRetries(), s.retryBackoff(), s.clientId(), s.limits());
    }
    return s;
  }

  static Duration parseDuration(String text) {
    try {
      return com.typesafe.config.ConfigFactory.parseString("d = " + text).getDuration("d");
    } catch (RuntimeException e) {
      throw new CommandLine.ParameterException(new CommandLine(new DistKvCli()),
          "--timeout: '" + text + "' is not a duration (e.g. 5s, 500ms)");
    }
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  /** A bad combination of arguments found while running a command: printed, exit {@link #USAGE}. */
  static final class UsageException extends RuntimeException {
    UsageException(String message) {
      super(message);
    }
  }

  /**
   * The value of a write: the VALUE argument, or the bytes of {@code --value-file} ("-" = standard
   * input; binary-safe, and beyond what an argument can carry), exactly one of them.
   */
  static byte[] value(String argument, String file, java.io.InputStream stdin) {
    if ((argument == null) == (file == null)) {
      throw new UsageException("give the value either as VALUE or with --value-file FILE (- = standard input), not "
          + (argument == null ? "neither" : "both"));
    }
    if (argument != null) {
      return utf8(argument);
    }
    try {
      return file.equals("-") ? stdin.readAllBytes() : java.nio.file.Files.readAllBytes(java.nio.file.Path.of(file));
    } catch (java.io.IOException e) {
      throw new UsageException("cannot read --value-file " + file + ": " + e);
    }
  }

  /** Base of the subcommands: a connected client for the duration of one command. */
  abstract static class ClusterCommand implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    /** The settings this command connected with. */
    ClientSettings settings;

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    PrintWriter err() {
      return spec.commandLine().getErr();
    }

    abstract int run(BlockingDistKvClient kv);

    @Override
    public Integer call() {
      try {
        settings = parent.settings();
      } catch (ConfigValidationException e) {
        err().println("distkv: bad client config: " + e.getMessage());
        return USAGE;
      }
      try (DistKvClient client = DistKvClient.connect(settings)) {
        return run(client.blocking());
      } catch (UsageException e) {
        err().println("distkv: " + e.getMessage());
        return USAGE;
      } catch (DistKvException e) {
        err().println("distkv: " + e.getMessage());
        return e.code() == io.distkv.common.error.ErrorCode.INVALID_ARGUMENT ? USAGE : CLUSTER_ERROR;
      }
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Write VALUE under KEY; prints the new version.")
  static final class Put extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Option(names = "--if-absent", description = "Only if KEY has no value (exit 1 if it has).")
    boolean ifAbsent;

    @Override
    int run(BlockingDistKvClient kv) {
      byte[] bytes = value(value, valueFile, System.in);
      if (ifAbsent) {
        WriteResult r = kv.putIfAbsent(utf8(key), bytes);
        if (!r.applied()) {
          err().println("exists: current version is " + r.version());
          return NOT_FOUND_OR_FAILED;
        }
        out().println("OK version " + r.version());
        return OK;
      }
      out().println("OK version " + kv.put(utf8(key), bytes));
      return OK;
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Print KEY's value (exit 1 if absent).")
  static final class Get extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--eventual", description = "Read a replica's current state (may be stale; works without a quorum).")
    boolean eventual;

    @Option(names = "--show-version", description = "Also print the value's version (a second line).")
    boolean showVersion;

    @Override
    int run(BlockingDistKvClient kv) {
      Optional<Versioned> v = kv.get(utf8(key), eventual ? Consistency.EVENTUAL : Consistency.LINEARIZABLE);
      if (v.isEmpty()) {
        err().println("not found: " + key);
        return NOT_FOUND_OR_FAILED;
      }
      out().println(v.get().valueAsString());
      if (showVersion) {
        out().println("version " + v.get().version());
      }
      return OK;
    }
  }

  @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true, description = "Delete KEY (absent is fine).")
  static final class Del extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    int run(BlockingDistKvClient kv) {
      out().println("OK version " + kv.delete(utf8(key)));
      return OK;
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Write VALUE only if KEY's version is EXPECTED_VERSION (0 = absent); exit 1 on conflict.")
  static final class Cas extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "EXPECTED_VERSION")
    long expected;

    @Parameters(index = "2", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Override
    int run(BlockingDistKvClient kv) {
      WriteResult r = kv.compareAndSet(utf8(key), expected, value(value, valueFile, System.in));
      if (!r.applied()) {
        err().println("conflict: current version is " + r.version());
        return NOT_FOUND_OR_FAILED;
      }
      out().println("OK version " + r.version());
      return OK;
    }
  }

  @Command(name = "scan", mixinStandardHelpOptions = true,
      description = "Print live keys in [--from, --to) in key order as KEY<TAB>VALUE lines, one page; "
          + "if there is more, prints the --after token to resume with (on stderr).")
  static final class Scan extends ClusterCommand {
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
    int run(BlockingDistKvClient kv) {
      byte[] start = after != null ? ScanToken.decode(after) : utf8(from);
      ScanPage page = kv.scan(start, utf8(to), limit, eventual ? Consistency.EVENTUAL : Consistency.LINEARIZABLE);
      for (KeyValue e : page.entries()) {
        out().println(e.keyAsString() + "\t" + e.valueAsString() + (showVersion ? "\t" + e.version() : ""));
      }
      out().flush();
      if (page.hasMore()) {
        err().println("more: distkv scan --after " + page.continuation() + (to != null ? " --to " + to : "")
            + " --limit " + limit);
      }
      return OK;
    }
  }

  @Command(name = "status", mixinStandardHelpOptions = true, description = "Nodes, partitions and leaders as tables.")
  static final class Status extends ClusterCommand {
    @Option(names = "--partitions", description = "Also list every partition.")
    boolean partitions;

    @Override
    int run(BlockingDistKvClient kv) {
      ClusterInfo info = kv.clusterInfo();
      PrintWriter o = out();
      long active = info.partitions().stream().filter(p -> p.state() == PartitionState.ACTIVE).count();
      o.printf("%d nodes, %d partitions (%d active, %d read-only, %d offline)%n", info.nodes().size(),
          info.partitionCount(), active,
          info.partitions().stream().filter(p -> p.state() == PartitionState.READONLY).count(),
          info.partitions().stream().filter(p -> p.state() == PartitionState.OFFLINE).count());
      o.printf("%-12s %-32s %-11s %8s %8s%n", "NODE", "ADDRESS", "STATE", "REPLICAS", "LEADERS");
      for (NodeInfo n : info.nodes()) {
        o.printf("%-12s %-32s %-11s %8d %8d%n", n.id(), n.address(), n.reachable() ? "UP" : "UNREACHABLE",
            n.replicas(), n.leaders());
      }
      if (partitions) {
        o.println();
        o.printf("%-9s %-9s %-10s %6s %8s  %s%n", "PARTITION", "STATE", "LEADER", "TERM", "COMMIT", "REPLICAS");
        for (PartitionInfo p : info.partitions()) {
          o.printf("%-9d %-9s %-10s %6d %8d  %s%n", p.partition(), p.state(), p.leader() == null ? "-" : p.leader(),
              p.term(), p.commitIndex(), String.join(",", p.replicas()));
        }
      }
      return active == info.partitionCount() ? OK : NOT_FOUND_OR_FAILED;
    }
  }

  @Command(name = "leader", mixinStandardHelpOptions = true, description = "Print KEY's partition and its leader node.")
  static final class Leader extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    int run(BlockingDistKvClient kv) {
      int p = kv.partitionOf(utf8(key));
      Optional<String> leader = kv.leaderFor(utf8(key));
      if (leader.isEmpty()) {
        err().println("partition " + p + " has no leader now");
        return NOT_FOUND_OR_FAILED;
      }
      out().println("partition " + p + " leader " + leader.get());
      return OK;
    }
  }

  @Command(name = "transfer-leader", mixinStandardHelpOptions = true,
      description = "Move PARTITION's leadership to NODE and wait until NODE leads it.")
  static final class TransferLeader extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "PARTITION")
    int partition;

    @Parameters(index = "1", paramLabel = "NODE")
    String node;

    @Override
    int run(BlockingDistKvClient kv) {
      kv.transferLeader(partition, node);
      long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
      while (System.nanoTime() < deadline) {
        PartitionInfo p = kv.clusterInfo().partitions().get(partition);
        if (node.equals(p.leader())) {
          out().println("partition " + partition + " leader " + node + " (term " + p.term() + ")");
          return OK;
        }
        pause(100);
      }
      err().println("partition " + partition + " did not move to " + node + " within the request timeout");
      return CLUSTER_ERROR;
    }
  }

  /** add-node and remove-node: one NODE argument, print the summary. */
  abstract static class NodeChange extends ClusterCommand {
    @Parameters(index = "0", paramLabel = "NODE")
    String node;

    abstract String change(BlockingDistKvClient kv, String node);

    @Override
    int run(BlockingDistKvClient kv) {
      out().println(change(kv, node));
      return OK;
    }
  }

  @Command(name = "add-node", mixinStandardHelpOptions = true,
      description = {"Place replicas on NODE, a node that has joined the cluster (started with its seed nodes) "
          + "and holds none: the fewest replicas needed move to it, each with Raft membership changes "
          + "(learner, catch up, voter, old replica removed). Waits until done (up to 10 minutes)."})
  static final class AddNode extends NodeChange {
    @Override
    String change(BlockingDistKvClient kv, String node) {
      return kv.addNode(node);
    }
  }

  @Command(name = "remove-node", mixinStandardHelpOptions = true,
      description = {"Move every replica off NODE (it can then be stopped). Waits until done (up to 10 minutes)."})
  static final class RemoveNode extends NodeChange {
    @Override
    String change(BlockingDistKvClient kv, String node) {
      return kv.removeNode(node);
    }
  }

  @Command(name = "rebalance", mixinStandardHelpOptions = true,
      description = {"Bring every partition's replicas in line with the current placement "
          + "(finishes an add-node or remove-node that was interrupted)."})
  static final class Rebalance extends ClusterCommand {
    @Override
    int run(BlockingDistKvClient kv) {
      out().println(kv.rebalance());
      return OK;
    }
  }

  @Command(name = "wait-ready", mixinStandardHelpOptions = true,
      description = "Wait until the cluster answers and every partition has a leader.")
  static final class WaitReady implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--within", paramLabel = "DURATION", defaultValue = "60s", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    String within;

    @Override
    public Integer call() {
      long deadline = System.nanoTime() + parseDuration(within).toNanos();
      String last = "no node answered";
      while (System.nanoTime() < deadline) {
        try (DistKvClient client = DistKvClient.connect(parent.settings())) {
          while (System.nanoTime() < deadline) {
            ClusterInfo info = client.blocking().clusterInfo();
            long active = info.partitions().stream().filter(p -> p.state() == PartitionState.ACTIVE).count();
            if (active == info.partitionCount()) {
              spec.commandLine().getOut().println("ready: all " + active + " partitions have a leader");
              return OK;
            }
            last = active + " of " + info.partitionCount() + " partitions have a leader";
            pause(250);
          }
        } catch (DistKvException e) {
          last = e.getMessage();
          pause(250);
        }
      }
      spec.commandLine().getErr().println("distkv: not ready after " + within + ": " + last);
      return CLUSTER_ERROR;
    }
  }

  @Command(name = "config-check", mixinStandardHelpOptions = true,
      description = "Validate a node's config file (every key, unknown keys with the nearest valid one) without "
          + "starting a node; exit 0 if valid, 2 with every problem listed otherwise.")
  static final class ConfigCheck implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The node's HOCON file, e.g. conf/node1.conf.")
    Path file;

    @Override
    public Integer call() {
      if (!java.nio.file.Files.isRegularFile(file)) {
        spec.commandLine().getErr().println("distkv: " + file + ": no such file");
        return USAGE;
      }
      try {
        io.distkv.common.config.NodeConfig c = io.distkv.common.config.NodeConfig.from(
            com.typesafe.config.ConfigFactory.parseFile(file.toFile()));
        spec.commandLine().getOut().println(file + ": valid (node " + c.nodeId() + " at " + c.host() + ":" + c.port()
            + ", " + c.placement().partitions() + " partitions, RF " + c.placement().replicationFactor() + ")");
        return OK;
      } catch (io.distkv.common.config.ConfigValidationException e) {
        spec.commandLine().getErr().println("distkv: " + file + ": " + e.getMessage());
        return USAGE;
      } catch (com.typesafe.config.ConfigException e) {
        spec.commandLine().getErr().println("distkv: " + file + ": not valid HOCON: " + e.getMessage());
        return USAGE;
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

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = new CommandLine(new DistKvCli());
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("distkv: " + e.getMessage());
      return e instanceof DistKvException d && d.code() == io.distkv.common.error.ErrorCode.INVALID_ARGUMENT ? USAGE : CLUSTER_ERROR;
    });
    int code = cl.execute(args);
    out.flush();
    err.flush();
    return code;
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }
}
