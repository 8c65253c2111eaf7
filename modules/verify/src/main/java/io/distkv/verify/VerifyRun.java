package io.distkv.verify;

import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One verification run: start a cluster of node processes, record a history while the nemesis
 * injects its seeded faults, heal, make the final reads, check, and write the history
 * ({@code history.jsonl}), the faults ({@code faults.json}), the summary ({@code summary.txt}) and
 * the picture ({@code timeline.png}) into the output directory.
 */
public final class VerifyRun {
  /**
   * What to run.
   *
   * @param launch the command that starts a node (see {@link NodeCluster#jarLaunch})
   * @param out output directory (the cluster's files go to {@code out/cluster})
   * @param nodes node count
   * @param partitions partition count of the cluster
   * @param clients logical clients
   * @param keys register keys
   * @param time how long the workload runs
   * @param seed seeds the fault schedule and the clients' choices
   * @param nemesis fault kinds (empty = none)
   * @param downAfter the nodes' {@code distkv.cluster.down-unreachable-after}
   * @param requestTimeout the clients' request deadline
   * @param snapshotEntries the nodes' {@code distkv.raft.snapshot-entries}: small, so that a node
   *     that was down catches up by snapshot and the snapshot path is under test
   * @param command the command line, for the summary
   */
  public record Options(List<String> launch, Path out, int nodes, int partitions, int clients, int keys, Duration time,
      long seed, List<Nemesis.Kind> nemesis, Duration downAfter, Duration requestTimeout, long snapshotEntries,
      String command) {}

  /** What a run found. */
  public record Result(History history, List<Nemesis.Window> faults, List<CheckResult> checks, String summary) {
    public boolean valid() {
      return Report.valid(checks);
    }

    public boolean violated() {
      return checks.stream().anyMatch(c -> c.verdict() == CheckResult.Verdict.INVALID);
    }
  }

  private VerifyRun() {}

  /** The three checkers over a history. */
  public static List<CheckResult> check(History history) {
    return List.of(new LinearizabilityChecker().check(history), new VersionOrderChecker().check(history),
        new LostWriteChecker().check(history));
  }

  /**
   * How many snapshots the nodes received during the run, from their logs (a node logs each one
   * it received and verified at INFO; a node logging at WARN shows none).
   */
  static String snapshotsInstalled(NodeCluster cluster) {
    long received = 0;
    for (int i = 0; i < cluster.size(); i++) {
      Path log = cluster.dir().resolve(NodeCluster.id(i) + ".log");
      try (java.util.stream.Stream<String> lines = Files.lines(log)) {
        received += lines.filter(l -> l.contains("SnapshotReceiver") && l.contains("received from")).count();
      } catch (IOException | UncheckedIOException e) {
        // no log: nothing counted
      }
    }
    return "snapshots received by followers (node logs): " + received + "\n";
  }

  public static Result run(Options o, java.io.PrintStream progress) throws InterruptedException {
    try {
      Files.createDirectories(o.out());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + o.out(), e);
    }
    List<Nemesis.Fault> schedule = Nemesis.schedule(o.seed(), o.nemesis(), o.time().toMillis(), o.nodes(),
        o.downAfter().toMillis());
    String extra = """
        distkv {
          partitions = %d
          cluster.down-unreachable-after = %dms
          raft.snapshot-entries = %d
          storage { block-cache-size = 32MiB, write-buffer-budget = 64MiB } # within a verify node's heap
        }
        """.formatted(o.partitions(), o.downAfter().toMillis(), o.snapshotEntries());
    try (NodeCluster cluster = new NodeCluster(o.launch(), o.out().resolve("cluster"), o.nodes(), extra)) {
      progress.printf("starting %d nodes in %s%n", o.nodes(), cluster.dir());
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      progress.printf("cluster ready; connecting %d clients%n", o.clients());
      long[] t0 = {System.nanoTime()};
      java.util.function.LongSupplier clock = () -> System.nanoTime() - t0[0];
      Recorder recorder = new Recorder(cluster.clientSettings(o.requestTimeout(), Duration.ofMillis(
          Math.max(200, o.requestTimeout().toMillis() / 2))), o.keys(), o.seed(), clock);
      List<io.distkv.client.DistKvClient> clients = recorder.connect(o.clients(), Duration.ofSeconds(120));
      progress.printf("running %d clients on %d keys for %d s, %d faults planned (seed %d)%n", o.clients(), o.keys(),
          o.time().toSeconds(), schedule.size(), o.seed());
      t0[0] = System.nanoTime();
      AtomicReference<List<Nemesis.Window>> windows = new AtomicReference<>(List.of());
      AtomicReference<RuntimeException> nemesisFailure = new AtomicReference<>();
      Thread nemesis = new Thread(() -> {
        try {
          windows.set(Nemesis.run(cluster, schedule, clock, () -> busiestLeader(clients.get(0))));
        } catch (RuntimeException e) {
          nemesisFailure.set(e);
        }
      }, "verify-nemesis");
      nemesis.start();
      Thread reporter = new Thread(() -> {
        try {
          while (true) {
            Thread.sleep(5_000);
            progress.printf("  %5.0f s: %d operations%n", clock.getAsLong() / 1e9, recorder.completed());
          }
        } catch (InterruptedException e) {
          // done
        }
      }, "verify-progress");
      reporter.setDaemon(true);
      reporter.start();
      try {
        recorder.run(clients, o.time().toNanos());
        nemesis.join();
      } finally {
        nemesis.interrupt();
        nemesis.join();
        reporter.interrupt();
      }
      if (nemesisFailure.get() != null) {
        // A run whose faults were not injected verifies nothing about them: no verdict.
        throw new IllegalStateException("the nemesis could not inject its faults: " + nemesisFailure.get().getMessage(),
            nemesisFailure.get());
      }
      long runNanos = clock.getAsLong();
      for (int i = 0; i < o.nodes(); i++) {
        if (!cluster.isRunning(i)) {
          cluster.start(i);
        }
      }
      progress.printf("healed; waiting for every partition to have a leader%n");
      try {
        cluster.awaitReady(Duration.ofSeconds(120));
      } catch (IllegalStateException e) {
        progress.println("the cluster did not recover: " + e.getMessage());
      }
      List<String> elements = new ArrayList<>(recorder.ops().stream().filter(op -> op.type() == Op.Type.SET_ADD)
          .map(Op::key).toList());
      progress.printf("final reads of %d keys and %d set elements%n", o.keys(), elements.size());
      recorder.finalReads(elements, Duration.ofSeconds(60).plusMillis(5L * elements.size()));
      History history = new History(recorder.ops());
      history.write(o.out().resolve("history.jsonl"));
      writeFaults(windows.get(), o.out().resolve("faults.json"));
      List<CheckResult> checks = check(history);
      String summary = Report.render(history, windows.get(), checks, Report.availability(history, windows.get(), runNanos),
          o.command()) + snapshotsInstalled(cluster);
      writeText(o.out().resolve("summary.txt"), summary);
      TimelineChart.write(history, windows.get(), o.out().resolve("timeline.png"), o.command());
      return new Result(history, windows.get(), checks, summary);
    }
  }

  /** The index of the node that leads the most partitions now, or -1 if the cluster does not answer. */
  static int busiestLeader(io.distkv.client.DistKvClient client) {
    try {
      var info = client.clusterInfo().toCompletableFuture().get(5, java.util.concurrent.TimeUnit.SECONDS);
      java.util.Map<String, Long> leaders = new java.util.HashMap<>();
      info.partitions().forEach(p -> {
        if (p.leader() != null) {
          leaders.merge(p.leader(), 1L, Long::sum);
        }
      });
      return leaders.entrySet().stream().max(java.util.Map.Entry.comparingByValue())
          .map(e -> Integer.parseInt(e.getKey().substring("node".length())) - 1).orElse(-1);
    } catch (Exception e) {
      return -1;
    }
  }

  static void writeFaults(List<Nemesis.Window> windows, Path file) {
    try {
      Files.writeString(file, History.JSON.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(windows));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  static void writeText(Path file, String text) {
    try {
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }
}
