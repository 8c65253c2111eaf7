package io.distkv.cli;

import static io.distkv.cli.DistKvCli.CLUSTER_ERROR;
import static io.distkv.cli.DistKvCli.MEMBERSHIP_TIMEOUT;
import static io.distkv.cli.DistKvCli.OK;
import static io.distkv.cli.DistKvCli.NOT_FOUND_OR_FAILED;
import static io.distkv.cli.DistKvCli.USAGE;
import static io.distkv.cli.DistKvCli.fields;
import static io.distkv.cli.DistKvCli.map;
import static io.distkv.cli.DistKvCli.number;
import static io.distkv.cli.DistKvCli.parseDuration;
import static io.distkv.cli.DistKvCli.pause;
import static io.distkv.cli.DistKvCli.report;
import static io.distkv.cli.DistKvCli.text;
import static io.distkv.cli.DistKvCli.utf8;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.distkv.cli.DistKvCli.Target;
import io.distkv.cli.RespLink.CliFailure;
import io.distkv.common.auth.PasswordHash;
import java.io.PrintWriter;
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
 * The commands about the cluster: status, leader, transfer-leader, add-node, remove-node,
 * rebalance, backup, wait-ready, and config-check (which reads a file and talks to nobody).
 */
final class ClusterCommands {
  private ClusterCommands() {}

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
            "term", number(m.get("term")), "commit", number(m.get("commit")), "keys", number(m.get("keys")),
            "replicas", replicas));
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
        o.printf("%-9s %-9s %-10s %6s %8s %10s  %s%n", "PARTITION", "STATE", "LEADER", "TERM", "COMMIT", "KEYS",
            "REPLICAS");
        for (Map<String, Object> p : table) {
          o.printf("%-9d %-9s %-10s %6d %8d %10s  %s%n", p.get("partition"), p.get("state"),
              p.get("leader") == null ? "-" : p.get("leader"), p.get("term"), p.get("commit"),
              (Long) p.get("keys") < 0 ? "-" : p.get("keys"),
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

  @Command(name = "backup", mixinStandardHelpOptions = true,
      description = {"Back up every partition into DIR (new or empty) while the cluster serves: each partition's "
          + "leader takes a checkpoint after a read barrier (it holds every write acknowledged before), and its "
          + "files are copied here and checked against their SHA-256. DIR gets p<N>/ per partition, MANIFEST.json "
          + "and SHA256SUMS (written last). Needs the admin role. Restore with `scripts/distkv restore`."})
  static final class Backup extends NodeCommand {
    @Parameters(index = "0", paramLabel = "DIR")
    Path dir;

    @Override
    Duration answerTimeout() {
      return Duration.ofSeconds(90); // a checkpoint waits up to 60 s for a partition's leader
    }

    @Override
    int run(RespLink node) {
      long started = System.nanoTime();
      BackupWriter.Result r = new BackupWriter(node, dir).run();
      double seconds = (System.nanoTime() - started) / 1e9;
      print(fields("dir", dir.toString(), "id", r.id(), "partitions", r.partitions(), "files", r.files(), "bytes",
          r.bytes(), "seconds", Math.round(seconds * 10) / 10.0),
          String.format("backup %s: %d partitions, %d files, %.1f MiB into %s in %.1f s", r.id(), r.partitions(),
              r.files(), r.bytes() / 1048576.0, dir, seconds));
      return OK;
    }
  }

  /**
   * A command that opens its own connections, or none: the output format and the reporting of
   * failures as {@link NodeCommand}'s.
   */
  abstract static class OwnCommand implements Callable<Integer> {
    @ParentCommand
    DistKvCli parent;

    @Spec
    CommandLine.Model.CommandSpec spec;

    abstract int run(boolean json);

    @Override
    public Integer call() {
      boolean json = false;
      try {
        json = parent.json();
        return run(json);
      } catch (CliFailure e) {
        report(spec, json, e);
        return e.exitCode;
      }
    }
  }

  @Command(name = "wait-ready", mixinStandardHelpOptions = true,
      description = "Wait until a node answers and every partition has a leader.")
  static final class WaitReady extends OwnCommand {
    @Option(names = "--within", paramLabel = "DURATION", defaultValue = "60s", description = "Give up after this long (default ${DEFAULT-VALUE}).")
    String within;

    @Override
    int run(boolean json) {
      Target target = parent.target();
      long deadline = System.nanoTime() + parseDuration("--within", within).toNanos();
      String last = "no node answered";
      while (System.nanoTime() < deadline) {
        try (RespLink node = RespLink.connect(target, target.timeout())) {
          while (System.nanoTime() < deadline) {
            Map<String, Object> s = map(node.call("DKV.STATUS"));
            long total = number(s.get("partitions"));
            long led = number(s.get("partitions_with_leader"));
            if (led == total) {
              spec.commandLine().getOut().println(json ? Json.write(fields("ready", true, "partitions", total))
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
    }
  }

  @Command(name = "config-check", mixinStandardHelpOptions = true,
      description = "Validate a node's config file (every key, unknown keys with the nearest valid one) without "
          + "starting a node; exit 0 if valid, 2 with every problem listed otherwise.")
  static final class ConfigCheck extends OwnCommand {
    @Parameters(paramLabel = "FILE", description = "The node's HOCON file, e.g. conf/node1.conf.")
    Path file;

    @Override
    int run(boolean json) {
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
      spec.commandLine().getOut().println(json ? Json.write(fields("file", file.toString(), "valid", true, "node",
          c.nodeId(), "host", c.host(), "port", c.port(), "partitions", c.placement().partitions(), "replication_factor",
          c.placement().replicationFactor()))
          : file + ": valid (node " + c.nodeId() + " at " + c.host() + ":" + c.port() + ", "
              + c.placement().partitions() + " partitions, RF " + c.placement().replicationFactor() + ")");
      return OK;
    }
  }

  @Command(name = "hash-password", mixinStandardHelpOptions = true,
      description = "Print the stored form of a password for distkv.auth.users (PBKDF2-HMAC-SHA256, random salt). "
          + "The password is read from standard input (its first line), or asked for without echo on a terminal.")
  static final class HashPassword extends OwnCommand {
    @Option(names = "--iterations", paramLabel = "N", description = "PBKDF2 iterations (default "
        + PasswordHash.DEFAULT_ITERATIONS + ").")
    Integer iterations;

    @Override
    int run(boolean json) {
      byte[] password = readPassword();
      if (password.length == 0) {
        throw new CliFailure(USAGE, "empty password");
      }
      PasswordHash hash;
      try {
        hash = PasswordHash.of(password,
            iterations == null ? PasswordHash.DEFAULT_ITERATIONS : iterations);
      } catch (IllegalArgumentException e) {
        throw new CliFailure(USAGE, "--iterations: " + e.getMessage());
      } finally {
        java.util.Arrays.fill(password, (byte) 0);
      }
      spec.commandLine().getOut().println(json ? Json.write(fields("password_hash", hash.toString())) : hash.toString());
      return OK;
    }

    private static byte[] readPassword() {
      java.io.Console console = System.console();
      if (console != null) {
        char[] typed = console.readPassword("password: ");
        if (typed == null) {
          throw new CliFailure(USAGE, "no password given");
        }
        byte[] b = new String(typed).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.util.Arrays.fill(typed, '\0');
        return b;
      }
      try {
        java.io.BufferedReader in = new java.io.BufferedReader(
            new java.io.InputStreamReader(System.in, java.nio.charset.StandardCharsets.UTF_8));
        String line = in.readLine();
        if (line == null) {
          throw new CliFailure(USAGE, "no password on standard input");
        }
        return line.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      } catch (java.io.IOException e) {
        throw new CliFailure(USAGE, "cannot read the password: " + e.getMessage());
      }
    }
  }
}
