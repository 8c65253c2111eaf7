package io.distkv.server.metrics;

import io.distkv.common.lifecycle.NodeLifecycle;
import io.distkv.common.lifecycle.NodeState;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Role;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.server.NodeRuntime;
import io.distkv.server.cluster.ClusterMembership;
import io.distkv.server.partition.KvStateMachine;
import io.distkv.storage.Compactor;
import io.distkv.storage.StoreStats;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * A node's Prometheus metrics (docs/operations.md "Metrics"): requests (recorded by the routers
 * into {@link #registry()}), Raft and storage per partition and per node, JVM and GC. Raft and
 * storage values are read when scraped ({@link #scrape}): every hosted replica is asked for its
 * status at once, then the gauges are set from those answers. Outlives the node's incarnations;
 * {@link #attach} points it at the current one.
 */
public final class NodeMetrics {
  private static final Duration ASK = Duration.ofSeconds(1);

  /** What one scrape read: per partition, and the node's shared parts. */
  record Reading(Map<Integer, RaftReplica.Status> raft, Map<Integer, StoreStats> stores, Compactor.Status compactor,
      NodeLogWriter.Stats log) {
    static final Reading EMPTY = new Reading(Map.of(), Map.of(), null, null);
  }

  /** The incarnation being measured. */
  private record Source(ActorSystem<?> system, NodeRuntime runtime, NodeLifecycle lifecycle) {}

  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private volatile Source source;
  private volatile Reading last = Reading.EMPTY;
  private final List<PartitionGauge> partitionGauges = new ArrayList<>();
  private final MultiGauge levelFiles;
  private final MultiGauge levelBytes;

  /** A per-partition gauge: its value from a replica's status and its store's stats. */
  private record PartitionGauge(MultiGauge gauge, PartitionValue value) {}

  @FunctionalInterface
  private interface PartitionValue {
    double of(RaftReplica.Status raft, StoreStats store);
  }

  public NodeMetrics(String nodeId) {
    registry.config().commonTags("node", nodeId);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    Gauge.builder("distkv.node.running", this, m -> m.state() == NodeState.RUNNING ? 1 : 0)
        .description("1 while the node is an Up member serving (lifecycle RUNNING)").register(registry);
    Gauge.builder("distkv.partitions.hosted", this, m -> m.last.raft().size())
        .description("Partitions this node holds a replica of").register(registry);
    Gauge.builder("distkv.partitions.led", this, m -> m.last.raft().values().stream()
        .filter(s -> s.role() == Role.LEADER).count()).description("Partitions this node leads").register(registry);

    partition("distkv.raft.term", "Raft term of the partition's replica", (r, s) -> r.term());
    partition("distkv.raft.commit.index", "Highest log index known committed", (r, s) -> r.commitIndex());
    partition("distkv.raft.applied.index", "Highest log index applied to the store", (r, s) -> r.appliedIndex());
    partition("distkv.raft.apply.lag", "Committed entries not yet applied", (r, s) -> r.commitIndex() - r.appliedIndex());
    partition("distkv.raft.last.index", "Last index in the replica's log", (r, s) -> r.lastIndex());
    partition("distkv.raft.leader", "1 if this node leads the partition", (r, s) -> r.role() == Role.LEADER ? 1 : 0);
    partition("distkv.raft.has.leader", "1 if the replica knows a leader", (r, s) -> r.leader() != null ? 1 : 0);
    FunctionCounter.builder("distkv.raft.leader.changes", this, m -> m.last.raft().values().stream()
        .mapToLong(RaftReplica.Status::leaderChanges).sum())
        .description("Leader changes seen by the node's replicas (each: a leader other than the last it knew)")
        .register(registry);
    partition("distkv.raft.pending.proposals", "Writes proposed by this leader and not yet applied",
        (r, s) -> r.pendingProposals());
    partition("distkv.store.keys", "Live keys in the partition's state as this replica applied it",
        (r, s) -> r.liveKeys());
    partition("distkv.store.memtable.bytes", "Bytes in the partition's memtables", (r, s) -> s.memtableBytes());
    partition("distkv.store.l0.files", "Tables in level 0 (flushes not yet compacted)",
        (r, s) -> s.filesPerLevel().isEmpty() ? 0 : s.filesPerLevel().get(0));
    partition("distkv.store.compaction.running", "1 while a compaction of the store runs",
        (r, s) -> s.compactionRunning() ? 1 : 0);
    levelFiles = MultiGauge.builder("distkv.store.level.files").description("Tables per level").register(registry);
    levelBytes = MultiGauge.builder("distkv.store.level.bytes").description("Table bytes per level").baseUnit("bytes")
        .register(registry);

    storeCounter("distkv.store.write.stalls", "Times a write waited for a flush or compaction", StoreStats::writeStalls);
    storeCounter("distkv.store.write.slowdowns", "Writes delayed because level 0 is filling up", StoreStats::writeSlowdowns);
    storeCounter("distkv.store.write.stall.seconds", "Time writes spent waiting", s -> s.stallMicros() / 1e6);
    storeCounter("distkv.store.user.bytes.written", "Key and value bytes written by clients", StoreStats::userBytesWritten);
    storeCounter("distkv.store.bytes.flushed", "Table bytes written by flushes", StoreStats::bytesFlushed);
    storeCounter("distkv.store.compaction.bytes.written", "Table bytes written by compactions",
        StoreStats::compactionBytesWritten);
    storeCounter("distkv.store.compactions", "Compactions finished", StoreStats::compactions);

    Gauge.builder("distkv.storage.compaction.queue", this, m -> m.last.compactor() == null ? 0
        : m.last.compactor().flushesQueued() + m.last.compactor().compactionsQueued())
        .description("Flushes and compactions waiting for the node's compactor").register(registry);
    Gauge.builder("distkv.storage.jobs.running", this, m -> m.last.compactor() == null ? 0 : m.last.compactor().running())
        .description("Flushes and compactions running now").register(registry);
    Gauge.builder("distkv.storage.memtable.bytes", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().writeBuffers().memtableBytes()).baseUnit("bytes")
        .description("Memtable bytes of every store on the node").register(registry);
    Gauge.builder("distkv.storage.write.buffer.budget", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().writeBuffers().budgetBytes()).baseUnit("bytes")
        .description("distkv.storage.write-buffer-budget").register(registry);
    FunctionCounter.builder("distkv.storage.flushes.forced", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().writeBuffers().flushesForced())
        .description("Flushes forced by the write-buffer budget").register(registry);
    Gauge.builder("distkv.storage.block.cache.bytes", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().blockCache().weightedSize()).baseUnit("bytes")
        .description("Bytes held by the node's block cache").register(registry);
    FunctionCounter.builder("distkv.storage.block.cache.hits", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().blockCache().hits()).description("Block cache hits").register(registry);
    FunctionCounter.builder("distkv.storage.block.cache.misses", this, m -> m.runtime() == null ? 0
        : m.runtime().storeResources().blockCache().misses()).description("Block cache misses").register(registry);
    Gauge.builder("distkv.raft.log.memory.bytes", this, m -> m.runtime() == null ? 0 : m.runtime().logBudget().bytes())
        .baseUnit("bytes").description("Raft log bytes held in memory by the node's replicas").register(registry);
    FunctionCounter.builder("distkv.raft.log.fsyncs", this, m -> m.last.log() == null ? 0 : m.last.log().fsyncs())
        .description("fsyncs of the node's Raft log").register(registry);
    FunctionCounter.builder("distkv.raft.log.appends", this, m -> m.last.log() == null ? 0 : m.last.log().appends())
        .description("Replica appends made durable (appends per fsync: the ratio of the two rates)").register(registry);
    FunctionCounter.builder("distkv.raft.log.rounds", this, m -> m.last.log() == null ? 0 : m.last.log().rounds())
        .description("Write rounds of the Raft log writer (one write and one fsync each)").register(registry);
    FunctionCounter.builder("distkv.raft.log.write.seconds", this, m -> m.last.log() == null ? 0
        : m.last.log().writeNanos() / 1e9).description("Time spent writing and fsyncing the Raft log (latency: its rate "
            + "over the rounds' rate)").register(registry);
  }

  private void partition(String name, String description, PartitionValue value) {
    partitionGauges.add(new PartitionGauge(MultiGauge.builder(name).description(description).register(registry), value));
  }

  private void storeCounter(String name, String description, ToDoubleFunction<StoreStats> value) {
    FunctionCounter.builder(name, this, m -> m.last.stores().values().stream().mapToDouble(value).sum())
        .description(description + " (summed over the node's stores)").register(registry);
  }

  /** The registry the routers record requests into. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** Measures this incarnation from now on. */
  public void attach(ActorSystem<?> system, NodeRuntime runtime, NodeLifecycle lifecycle) {
    source = new Source(system, runtime, lifecycle);
  }

  private NodeRuntime runtime() {
    Source s = source;
    return s == null ? null : s.runtime();
  }

  private NodeState state() {
    Source s = source;
    return s == null ? NodeState.INIT : s.lifecycle().state();
  }

  /** The node's lifecycle state and Pekko member status, and its partitions as last read. */
  public record Readiness(NodeState state, String memberStatus, int partitions, List<Integer> withoutLeader) {
    public boolean ready() {
      return state == NodeState.RUNNING && "up".equalsIgnoreCase(memberStatus) && withoutLeader.isEmpty();
    }
  }

  /** Reads every hosted partition now and says whether the node is ready (GET /ready). */
  public Readiness readiness() {
    Reading r = refresh();
    Source s = source;
    List<Integer> without = new ArrayList<>();
    if (s != null) {
      for (Integer p : s.runtime().replicas().keySet()) {
        RaftReplica.Status st = r.raft().get(p);
        if (st == null || st.leader() == null) {
          without.add(p);
        }
      }
    }
    String member = s == null ? "none" : ClusterMembership.selfStatus(s.system());
    return new Readiness(state(), member, s == null ? 0 : s.runtime().replicas().size(), without);
  }

  /** The metrics in Prometheus's text format (or OpenMetrics, as {@code accept} asks), read now. */
  public String scrape(String accept) {
    refresh();
    return registry.scrape(accept == null ? "text/plain" : accept);
  }

  /** The content type {@link #scrape} answers for {@code accept}. */
  public static String contentType(String accept) {
    return accept != null && accept.contains("application/openmetrics-text")
        ? "application/openmetrics-text; version=1.0.0; charset=utf-8"
        : "text/plain; version=0.0.4; charset=utf-8";
  }

  /** Asks every hosted replica, the compactor and the log writer at once; sets the gauges from their answers. */
  synchronized Reading refresh() {
    Source s = source;
    if (s == null) {
      return last;
    }
    Map<Integer, CompletableFuture<RaftReplica.Status>> asks = new TreeMap<>();
    for (Map.Entry<Integer, ActorRef<RaftReplica.Command>> e : s.runtime().replicas().entrySet()) {
      asks.put(e.getKey(), AskPattern.<RaftReplica.Command, RaftReplica.Status>ask(e.getValue(), RaftReplica.GetStatus::new,
          ASK, s.system().scheduler()).toCompletableFuture());
    }
    CompletableFuture<Compactor.Status> compactor = AskPattern.<Compactor.Command, Compactor.Status>ask(
        s.runtime().compactor(), Compactor.GetStatus::new, ASK, s.system().scheduler()).toCompletableFuture();
    CompletableFuture<NodeLogWriter.Stats> log = AskPattern.<NodeLogWriter.Command, NodeLogWriter.Stats>ask(
        s.runtime().logWriter(), NodeLogWriter.GetStats::new, ASK, s.system().scheduler()).toCompletableFuture();
    Map<Integer, RaftReplica.Status> raft = new TreeMap<>();
    asks.forEach((p, f) -> {
      RaftReplica.Status st = answer(f);
      if (st != null) {
        raft.put(p, st);
      }
    });
    Map<Integer, StoreStats> stores = new TreeMap<>();
    for (Map.Entry<Integer, KvStateMachine> e : s.runtime().stateMachines().entrySet()) {
      try {
        stores.put(e.getKey(), e.getValue().stats());
      } catch (RuntimeException closed) {
        // the partition is leaving this node now
      }
    }
    Reading r = new Reading(raft, stores, answer(compactor), answer(log));
    last = r;
    for (PartitionGauge g : partitionGauges) {
      List<MultiGauge.Row<?>> rows = new ArrayList<>();
      raft.forEach((p, st) -> {
        StoreStats store = stores.get(p);
        if (store != null) {
          rows.add(MultiGauge.Row.of(Tags.of("partition", Integer.toString(p)), g.value().of(st, store)));
        }
      });
      g.gauge().register(rows, true);
    }
    List<MultiGauge.Row<?>> files = new ArrayList<>();
    List<MultiGauge.Row<?>> bytes = new ArrayList<>();
    stores.forEach((p, st) -> {
      for (int level = 0; level < st.filesPerLevel().size(); level++) {
        Tags tags = Tags.of("partition", Integer.toString(p), "level", Integer.toString(level));
        files.add(MultiGauge.Row.of(tags, st.filesPerLevel().get(level)));
        bytes.add(MultiGauge.Row.of(tags, st.bytesPerLevel().get(level)));
      }
    });
    levelFiles.register(files, true);
    levelBytes.register(bytes, true);
    return r;
  }

  private static <T> T answer(CompletableFuture<T> f) {
    try {
      return f.get(ASK.toMillis() + 500, TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      return null; // an actor that did not answer in time: left out of this scrape
    }
  }
}
