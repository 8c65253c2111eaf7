package io.distkv.bench.raft;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.concurrent.Ask;
import io.distkv.common.config.Remoting;
import io.distkv.common.io.FreePorts;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.SnapshotPolicy;
import io.distkv.raft.StateMachine;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.core.Role;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.log.SegmentedLog;
import io.distkv.raft.transport.ActorTransport;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Bare Raft throughput and latency: 3 replicas in 3 ActorSystems on loopback Artery, real disk,
 * fsync on every log write, 100-byte commands, C concurrent proposers spread over G groups that
 * share each node's {@link NodeLogWriter}.
 *
 * <pre>
 * scripts/bench-raft [--groups 1,16] [--proposers 1,16,64,256] [--seconds 10] [--value-size 100] [--dir D]
 * </pre>
 */
public final class RaftBench {
  /** Counts applied commands; no state (the bench measures Raft, not a state machine). */
  static final class CountingStateMachine implements StateMachine {
    final AtomicLong applied = new AtomicLong();

    @Override
    public byte[] apply(long index, byte[] command) {
      applied.set(index);
      return null;
    }

    @Override
    public byte[] query(byte[] query) {
      return null;
    }

    @Override
    public long appliedIndex() {
      return 0;
    }

    /** Nothing to hold but the index (the log is never compacted in these runs). */
    @Override
    public long checkpoint(Path dir) {
      return applied.get();
    }

    @Override
    public void restore(long index, Path dir) {
      applied.set(index);
    }
  }

  static final class Node {
    ActorSystem<Void> system;
    SegmentedLog log;
    NodeLogWriter writer;
    final Map<String, ActorRef<RaftReplica.Command>> replicas = new HashMap<>();
  }

  static List<Node> startCluster(int groups, Path dir) throws Exception {
    List<String> ids = List.of("n1", "n2", "n3");
    Map<String, String> addresses = new ConcurrentHashMap<>();
    List<Node> nodes = new ArrayList<>();
    for (String id : ids) {
      int port = FreePorts.next();
      addresses.put(id, "pekko://bench@127.0.0.1:" + port);
      Config config = ConfigFactory.parseString("""
          # Three nodes share two cores here: keep each node's thread count small, or the run
          # measures context switches instead of Raft.
          pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = %d
          pekko.actor.default-dispatcher.throughput = 20
          pekko.actor.default-blocking-io-dispatcher.thread-pool-executor.fixed-pool-size = 2
          """.formatted(Integer.getInteger("bench.parallelism", 2)))
          .withFallback(Remoting.artery("127.0.0.1", port))
          .withFallback(ConfigFactory.load());
      Node n = new Node();
      n.system = ActorSystem.create(Behaviors.empty(), "bench", config);
      n.log = SegmentedLog.open(dir.resolve(id), 64 << 20, !Boolean.getBoolean("bench.nofsync"));
      NodeLogWriter writer = NodeLogWriter.start(n.log, "raft-log-" + id);
      n.system.systemActorOf(writer.behavior(), "raft-log", org.apache.pekko.actor.typed.Props.empty());
      n.writer = writer;
      for (int g = 0; g < groups; g++) {
        String group = "g" + g;
        RaftReplica.Settings settings = new RaftReplica.Settings(group, id, Configuration.ofVoters("n1", "n2", "n3"),
            RaftOptions.defaults(), Duration.ofMillis(100), new SnapshotPolicy(Long.MAX_VALUE, Long.MAX_VALUE),
            dir.resolve(id + "-snapshots").resolve(group), (id + group).hashCode(),
            io.distkv.raft.LogMemoryBudget.unlimited());
        ActorRef<RaftReplica.Command> ref = n.system.systemActorOf(
            RaftReplica.create(settings, null, new CountingStateMachine(),
                new ActorTransport(n.system, (peer, grp) -> addresses.get(peer) + "/system/raft-" + grp), writer),
            "raft-" + group, org.apache.pekko.actor.typed.Props.empty());
        n.replicas.put(group, ref);
      }
      nodes.add(n);
    }
    return nodes;
  }

  /** Finds the leader of every group, waiting for elections. */
  static Map<String, ActorRef<RaftReplica.Command>> leaders(List<Node> nodes, int groups) throws Exception {
    Map<String, ActorRef<RaftReplica.Command>> out = new HashMap<>();
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (out.size() < groups) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + out.size() + " of " + groups + " groups elected a leader");
      }
      for (Node n : nodes) {
        for (Map.Entry<String, ActorRef<RaftReplica.Command>> e : n.replicas.entrySet()) {
          RaftReplica.Status s = Ask.<RaftReplica.Command, RaftReplica.Status>ask(e.getValue(),
              RaftReplica.GetStatus::new, Duration.ofSeconds(5), n.system.scheduler()).get();
          if (s.role() == Role.LEADER) {
            out.put(e.getKey(), e.getValue());
          }
        }
      }
      Thread.sleep(100); // polling for elections in a benchmark harness, not a test
    }
    return out;
  }

  /**
   * {@code logRoundsPerSec}: log-writer rounds (one write + one fsync each) per second per node;
   * {@code appendsPerRound}: replica appends made durable per round (the group commit's batching).
   */
  record Figures(int groups, int proposers, double commitsPerSec, double p50Ms, double p99Ms, double maxMs, long errors,
      double logRoundsPerSec, double appendsPerRound) {}

  /** The log writers' counters summed over the nodes: rounds, appends. */
  static long[] writerTotals(List<Node> nodes) throws Exception {
    long rounds = 0;
    long appends = 0;
    for (Node n : nodes) {
      NodeLogWriter.Stats st = n.writer.stats();
      rounds += st.rounds();
      appends += st.appends();
    }
    return new long[] {rounds, appends};
  }

  static Figures run(List<Node> nodes, int groups, int proposers, int seconds, int valueSize) throws Exception {
    Map<String, ActorRef<RaftReplica.Command>> leaders = leaders(nodes, groups);
    ActorSystem<Void> system = nodes.get(0).system;
    Recorder recorder = new Recorder(3);
    AtomicLong commits = new AtomicLong();
    AtomicLong errors = new AtomicLong();
    long[] before;
    long warmupEnd = System.nanoTime() + Duration.ofSeconds(2).toNanos();
    long end = warmupEnd + Duration.ofSeconds(seconds).toNanos();
    byte[] value = new byte[valueSize];
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    for (int p = 0; p < proposers; p++) {
      String group = "g" + (p % groups);
      CompletableFuture<Void> done = new CompletableFuture<>();
      loop(leaders, group, system, value, recorder, commits, errors, warmupEnd, end, done);
      loops.add(done);
    }
    long wait = warmupEnd - System.nanoTime();
    if (wait > 0) {
      Thread.sleep(wait / 1_000_000); // the warm-up's end, where the measured window starts
    }
    before = writerTotals(nodes);
    CompletableFuture.allOf(loops.toArray(new CompletableFuture[0])).get();
    long[] after = writerTotals(nodes);
    Histogram h = recorder.getIntervalHistogram();
    long rounds = after[0] - before[0];
    return new Figures(groups, proposers, commits.get() / (double) seconds, h.getValueAtPercentile(50) / 1e6,
        h.getValueAtPercentile(99) / 1e6, h.getMaxValue() / 1e6, errors.get(),
        rounds / (double) seconds / nodes.size(), rounds == 0 ? 0 : (after[1] - before[1]) / (double) rounds);
  }

  static void loop(Map<String, ActorRef<RaftReplica.Command>> leaders, String group, ActorSystem<Void> system, byte[] value,
      Recorder recorder, AtomicLong commits, AtomicLong errors, long warmupEnd, long end, CompletableFuture<Void> done) {
    long start = System.nanoTime();
    if (start >= end) {
      done.complete(null);
      return;
    }
    CompletionStage<RaftReplica.Result> reply = Ask.ask(leaders.get(group),
        replyTo -> new RaftReplica.Propose(value, replyTo), Duration.ofSeconds(10), system.scheduler());
    reply.whenComplete((r, err) -> {
      long now = System.nanoTime();
      if (err == null && r.isOk()) {
        if (start >= warmupEnd && now <= end) {
          recorder.recordValue(now - start);
          commits.incrementAndGet();
        }
      } else {
        errors.incrementAndGet();
      }
      loop(leaders, group, system, value, recorder, commits, errors, warmupEnd, end, done);
    });
  }

  /** Median time of a 100-byte append + fdatasync in {@code dir}. */
  static double fsyncMillis(Path dir) throws IOException {
    Path f = dir.resolve("fsync-probe");
    long[] t = new long[200];
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < t.length; i++) {
        long s = System.nanoTime();
        ch.write(ByteBuffer.wrap(new byte[100]));
        ch.force(false);
        t[i] = System.nanoTime() - s;
      }
    }
    Files.delete(f);
    java.util.Arrays.sort(t);
    return t[t.length / 2] / 1e6;
  }

  /**
   * Median time until the second of three concurrent 100-byte append + fdatasync calls (three
   * files in {@code dir}, like the three nodes' logs) completes. The three replicas' logs share
   * this machine's one disk, and a commit needs two durable copies: that, not one lone fsync, is
   * the disk's part of the commit floor here (concurrent fsyncs on one device largely serialize).
   */
  static double secondOfThreeFsyncsMillis(Path dir) throws Exception {
    int rounds = 200;
    long[] t = new long[rounds];
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(3);
    FileChannel[] ch = new FileChannel[3];
    try {
      for (int i = 0; i < 3; i++) {
        ch[i] = FileChannel.open(dir.resolve("fsync-probe-" + i), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      }
      for (int r = 0; r < rounds; r++) {
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(3);
        List<java.util.concurrent.Future<Long>> done = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
          FileChannel c = ch[i];
          done.add(pool.submit(() -> {
            start.await();
            long s = System.nanoTime();
            c.write(ByteBuffer.wrap(new byte[100]));
            c.force(false);
            return System.nanoTime() - s;
          }));
        }
        long[] each = new long[3];
        for (int i = 0; i < 3; i++) {
          each[i] = done.get(i).get();
        }
        java.util.Arrays.sort(each);
        t[r] = each[1];
      }
    } finally {
      pool.shutdownNow();
      for (int i = 0; i < 3; i++) {
        if (ch[i] != null) {
          ch[i].close();
        }
        Files.deleteIfExists(dir.resolve("fsync-probe-" + i));
      }
    }
    java.util.Arrays.sort(t);
    return t[rounds / 2] / 1e6;
  }

  /** A ping and its pong between two of the bench's ActorSystems (Jackson CBOR, like the replicas' control messages). */
  public record Ping(long sentNanos, ActorRef<Pong> replyTo) implements io.distkv.raft.RaftSerializable {}

  public record Pong(long sentNanos) implements io.distkv.raft.RaftSerializable {}

  /**
   * Median round trip of an actor message between two of the cluster's ActorSystems over
   * loopback Artery (sender actor → remote actor → back), after a warm-up: the transport's own
   * floor, which every Raft round trip pays instead of a bare TCP round trip.
   */
  static double arteryRttMillis(List<Node> nodes) throws Exception {
    int warmup = 20_000; // the JIT compiles the serializers and Artery's stages
    int measured = 5_000;
    ActorRef<Ping> ponger = nodes.get(1).system.systemActorOf(Behaviors.receive(Ping.class)
        .onMessage(Ping.class, p -> {
          p.replyTo().tell(new Pong(p.sentNanos()));
          return Behaviors.same();
        }).build(), "rtt-probe", org.apache.pekko.actor.typed.Props.empty());
    ActorRef<Ping> remote = org.apache.pekko.actor.typed.ActorRefResolver.get(nodes.get(0).system)
        .resolveActorRef(ponger.path().toStringWithAddress(nodes.get(1).system.address()));
    long[] t = new long[measured];
    CompletableFuture<Void> done = new CompletableFuture<>();
    nodes.get(0).system.systemActorOf(Behaviors.<Pong>setup(ctx -> {
      int[] n = {0};
      remote.tell(new Ping(System.nanoTime(), ctx.getSelf()));
      return Behaviors.receive(Pong.class).onMessage(Pong.class, p -> {
        int i = n[0]++;
        if (i >= warmup) {
          t[i - warmup] = System.nanoTime() - p.sentNanos();
        }
        if (n[0] == warmup + measured) {
          done.complete(null);
          return Behaviors.stopped();
        }
        remote.tell(new Ping(System.nanoTime(), ctx.getSelf()));
        return Behaviors.same();
      }).build();
    }), "rtt-probe-sender", org.apache.pekko.actor.typed.Props.empty());
    done.get(60, java.util.concurrent.TimeUnit.SECONDS);
    java.util.Arrays.sort(t);
    return t[measured / 2] / 1e6;
  }

  /** Median TCP round trip of 100 bytes on loopback. */
  static double loopbackRttMillis() throws Exception {
    try (ServerSocket server = new ServerSocket(0)) {
      Thread echo = new Thread(() -> {
        try (Socket s = server.accept(); DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream())) {
          byte[] b = new byte[100];
          for (int i = 0; i < 2000; i++) {
            in.readFully(b);
            out.write(b);
            out.flush();
          }
        } catch (IOException e) {
          // probe ends
        }
      });
      echo.start();
      long[] t = new long[2000];
      try (Socket c = new Socket("127.0.0.1", server.getLocalPort()); DataInputStream in = new DataInputStream(c.getInputStream());
          DataOutputStream out = new DataOutputStream(c.getOutputStream())) {
        c.setTcpNoDelay(true);
        byte[] b = new byte[100];
        for (int i = 0; i < t.length; i++) {
          long s = System.nanoTime();
          out.write(b);
          out.flush();
          in.readFully(b);
          t[i] = System.nanoTime() - s;
        }
      }
      echo.join();
      java.util.Arrays.sort(t);
      return t[t.length / 2] / 1e6;
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> opt = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--help")) {
        System.out.println("usage: RaftBench [--groups 1,16] [--proposers 1,16,64,256] [--seconds 10] [--value-size 100] [--dir D]");
        return;
      }
      opt.put(args[i].substring(2), args[++i]);
    }
    int seconds = Integer.parseInt(opt.getOrDefault("seconds", "10"));
    int valueSize = Integer.parseInt(opt.getOrDefault("value-size", "100"));
    Path root = Path.of(opt.getOrDefault("dir", System.getProperty("java.io.tmpdir") + "/distkv-raft-bench"));
    io.distkv.common.io.Dirs.deleteTree(root);
    Files.createDirectories(root);
    double fsync = fsyncMillis(root);
    double tcpRtt = loopbackRttMillis();
    double secondOfThree = secondOfThreeFsyncsMillis(root);
    System.out.printf(Locale.ROOT, "fsync (100 B append + fdatasync) median: %.3f ms; loopback TCP round trip median: %.3f ms%n",
        fsync, tcpRtt);
    System.out.printf(Locale.ROOT, "second of three concurrent fsyncs (three logs on this one disk) median: %.3f ms%n",
        secondOfThree);
    System.out.println("3 replicas, 3 ActorSystems on loopback Artery, fsync on every log write, " + valueSize + "-byte commands");
    System.out.printf("%-7s %-10s %12s %9s %9s %9s %7s %14s %14s%n", "groups", "proposers", "commits/s", "p50 ms", "p99 ms",
        "max ms", "errors", "fsyncs/s/node", "appends/fsync");
    boolean printRtt = true;
    for (String g : opt.getOrDefault("groups", "1,16").split(",")) {
      int groups = Integer.parseInt(g.trim());
      Path dir = root.resolve("g" + groups);
      List<Node> nodes = startCluster(groups, dir);
      try {
        if (printRtt) {
          double artery = arteryRttMillis(nodes);
          System.out.printf(Locale.ROOT, "# Artery actor round trip median: %.3f ms; 1-proposer floors: fsync + TCP RTT %.3f ms, "
              + "second-of-three fsync + Artery RTT %.3f ms%n", artery, fsync + tcpRtt, secondOfThree + artery);
          printRtt = false;
        }
        for (String p : opt.getOrDefault("proposers", "1,16,64,256").split(",")) {
          Figures f = run(nodes, groups, Integer.parseInt(p.trim()), seconds, valueSize);
          System.out.printf(Locale.ROOT, "%-7d %-10d %12.0f %9.2f %9.2f %9.2f %7d %14.0f %14.1f%n",
              f.groups(), f.proposers(), f.commitsPerSec(), f.p50Ms(), f.p99Ms(), f.maxMs(), f.errors(),
              f.logRoundsPerSec(), f.appendsPerRound());
        }
      } finally {
        for (Node n : nodes) {
          n.system.terminate();
          n.system.getWhenTerminated().toCompletableFuture().get();
          n.log.close();
        }
      }
    }
    io.distkv.common.io.Dirs.deleteTree(root);
  }


}
