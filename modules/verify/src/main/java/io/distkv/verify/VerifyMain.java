package io.distkv.verify;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code scripts/verify}: runs the verifier against node processes it starts itself, or checks a
 * recorded history again ({@code --check}). Exit status 0 = valid, 1 = a violation, 2 = a checker
 * could not decide or the run could not be made.
 */
@Command(name = "verify", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Jepsen-style verification of dist-kv: concurrent clients against node processes under a seeded nemesis,",
        "checked for linearizability, version order and lost writes (docs/verification.md)."})
public final class VerifyMain implements Callable<Integer> {
  @Option(names = "--time", defaultValue = "60s", description = "How long the workload runs (default ${DEFAULT-VALUE}).")
  String time;

  @Option(names = "--nemesis", defaultValue = "kill,pause,partition",
      description = {"Faults: kill, pause (= pause-short,pause-long), partition (= partition-halves,partition-leader,",
          "partition-bridge), or any of those kinds, or none (default ${DEFAULT-VALUE})."})
  String nemesis;

  @Option(names = "--seed", description = "Seed of the fault schedule and the clients' choices (default: from the clock, printed).")
  Long seed;

  @Option(names = "--clients", defaultValue = "16", description = "Logical clients, each with its own session (default ${DEFAULT-VALUE}).")
  int clients;

  @Option(names = "--keys", defaultValue = "8", description = "Register keys (default ${DEFAULT-VALUE}).")
  int keys;

  @Option(names = "--nodes", defaultValue = "3", description = "Node processes (default ${DEFAULT-VALUE}).")
  int nodes;

  @Option(names = "--partitions", defaultValue = "16", description = "Partitions of the cluster (default ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--down-after", defaultValue = "6s",
      description = "The nodes' distkv.cluster.down-unreachable-after; long pauses outlast it (default ${DEFAULT-VALUE}).")
  String downAfter;

  @Option(names = "--request-timeout", defaultValue = "3s", description = "The clients' request deadline (default ${DEFAULT-VALUE}).")
  String requestTimeout;

  @Option(names = "--snapshot-entries", defaultValue = "200",
      description = "The nodes' distkv.raft.snapshot-entries: logs are compacted this often, so a node that was down "
          + "catches up by snapshot (default ${DEFAULT-VALUE}).")
  long snapshotEntries;

  @Option(names = "--out", description = "Output directory (default verify-out/<date-time>).")
  Path out;

  @Option(names = "--server-jar", defaultValue = "modules/server/target/distkv-server-0.1.0-SNAPSHOT.jar",
      description = "The node jar (default ${DEFAULT-VALUE}).")
  Path serverJar;

  @Option(names = "--node-heap", defaultValue = "512m", description = "Each node's -Xmx (default ${DEFAULT-VALUE}).")
  String nodeHeap;

  @Option(names = "--check", paramLabel = "HISTORY", description = "Only check a recorded history.jsonl again, offline.")
  Path check;

  @Override
  public Integer call() throws Exception {
    if (check != null) {
      History h = History.read(check);
      List<CheckResult> results = VerifyRun.check(h);
      System.out.print(Report.render(h, List.of(), results, Report.availability(h, List.of(), Long.MAX_VALUE),
          "check " + check));
      return exit(results);
    }
    if (clients < 1 || keys < 1 || nodes < 1) {
      throw new IllegalArgumentException("--clients, --keys and --nodes must be at least 1");
    }
    if (!Files.isRegularFile(serverJar)) {
      throw new IllegalArgumentException("no node jar at " + serverJar + " (build it: make build)");
    }
    long s = seed != null ? seed : System.currentTimeMillis() % 1_000_000;
    Path dir = out != null ? out : Path.of("verify-out", LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
    String command = String.format(
        "scripts/verify --time %s --nemesis %s --seed %d --clients %d --keys %d --nodes %d --snapshot-entries %d",
        time, nemesis, s, clients, keys, nodes, snapshotEntries);
    VerifyRun.Options o = new VerifyRun.Options(NodeCluster.jarLaunch(serverJar.toAbsolutePath(), nodeHeap), dir, nodes,
        partitions, clients, keys, Durations.parse("--time", time), s, Nemesis.parse(nemesis),
        Durations.parse("--down-after", downAfter), Durations.parse("--request-timeout", requestTimeout), snapshotEntries,
        command);
    VerifyRun.Result r = VerifyRun.run(o, System.out);
    System.out.println();
    System.out.print(r.summary());
    System.out.println("history, faults, summary and timeline.png in " + dir);
    return exit(r.checks());
  }

  private static int exit(List<CheckResult> results) {
    if (results.stream().anyMatch(r -> r.verdict() == CheckResult.Verdict.INVALID)) {
      return 1;
    }
    return Report.valid(results) ? 0 : 2;
  }

  public static void main(String[] args) {
    CommandLine cl = new CommandLine(new VerifyMain()).setOverwrittenOptionsAllowed(true); // make verify ARGS="--time 600s"
    cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("verify: " + e.getMessage());
      return 2;
    });
    System.exit(cl.execute(args));
  }
}
