package io.distkv.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.KeyLimits;
import io.distkv.common.NodeId;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.common.ring.HashRing;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A node's validated configuration, read from the {@code distkv} block of HOCON (defaults in the
 * common module's {@code reference.conf}). Construction reports every bad key at once.
 */
public record NodeConfig(
    NodeId nodeId,
    String host,
    int port,
    Path dataDir,
    PlacementSettings placement,
    Duration electionTimeout,
    Duration heartbeatInterval,
    Duration requestTimeout,
    int maxRetries,
    Duration retryBackoff,
    KeyLimits limits,
    java.util.List<Member> members,
    int jmxPort,
    boolean leaseReads,
    Duration leaderBalanceInterval,
    java.util.List<String> seedNodes,
    Duration downUnreachableAfter,
    boolean faultInjection,
    long snapshotEntries,
    long snapshotBytes,
    long snapshotBytesPerSecond,
    long raftLogMemoryBudget,
    StorageSettings storage,
    RespConfig resp,
    int httpPort,
    boolean jsonLogs,
    TlsSettings tls,
    io.distkv.common.auth.Users users) {

  /**
   * A node's Raft tick is its heartbeat interval; the election timeout is this many ticks at
   * least (so a lease has a drift margin of two ticks or more) and at most.
   */
  public static final int MIN_ELECTION_TICKS = 5;
  public static final int MAX_ELECTION_TICKS = 100;

  /** Election timeout in ticks ({@link #heartbeatInterval()} each), rounded down. */
  public int electionTicks() {
    return (int) (electionTimeout().toNanos() / heartbeatInterval().toNanos());
  }

  /**
   * Lease length in ticks: the election timeout minus a clock-drift margin of a fifth of it, at
   * least two ticks (8 of 10 at the defaults).
   */
  public int leaseTicks() {
    int e = electionTicks();
    return e - Math.max(2, e / 5);
  }

  /** The JVM system property that must be {@code true} for {@code distkv.test.fault-injection} to be accepted. */
  public static final String ALLOW_FAULT_INJECTION = "distkv.test.allow-fault-injection";

  /** A cluster member as configured: {@code id@host:port} (its Artery address). */
  public record Member(NodeId id, String host, int port) {
    @Override
    public String toString() {
      return id + "@" + host + ":" + port;
    }
  }

  /**
   * Every key under {@code distkv} that {@code config} sets and {@code reference} does not know,
   * each as a problem naming its path and the nearest known key ("did you mean ..."): a misspelt
   * key would otherwise be silently ignored and its default used.
   */
  static java.util.List<String> unknownKeys(Config config, Config reference) {
    if (!config.hasPathOrNull("distkv")) {
      return java.util.List.of();
    }
    java.util.Set<String> known = new java.util.TreeSet<>();
    if (reference.hasPathOrNull("distkv")) {
      for (java.util.Map.Entry<String, com.typesafe.config.ConfigValue> e : reference.withOnlyPath("distkv").entrySet()) {
        known.add(e.getKey());
      }
    }
    java.util.List<String> problems = new java.util.ArrayList<>();
    Config mine;
    try {
      mine = config.withOnlyPath("distkv");
    } catch (ConfigException e) {
      return java.util.List.of("distkv: " + e.getMessage());
    }
    for (java.util.Map.Entry<String, com.typesafe.config.ConfigValue> e : mine.entrySet()) {
      String path = e.getKey();
      if (!known.contains(path)) {
        String nearest = nearest(path, known);
        problems.add(path + ": unknown key" + (nearest == null ? " (see modules/common/src/main/resources/reference.conf)"
            : " (did you mean " + nearest + "?)"));
      }
    }
    return problems;
  }

  /** The known key closest to {@code path} by edit distance, if it is close enough to be a likely typo. */
  private static String nearest(String path, java.util.Set<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = editDistance(path, k);
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best != null && bestDistance <= Math.max(3, path.length() / 3) ? best : null;
  }

  static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  /** Reads {@code distkv.*} from {@code config} layered over the reference defaults. */
  public static NodeConfig from(Config config) {
    Config c;
    try {
      c = config.withFallback(ConfigFactory.defaultReference()).resolve();
    } catch (ConfigException e) {
      throw new ConfigValidationException(java.util.List.of("configuration cannot be resolved: " + e.getMessage()));
    }
    ConfigReader r = new ConfigReader(c);
    for (String unknown : unknownKeys(config, ConfigFactory.defaultReference())) {
      r.problems().add(unknown);
    }
    String id = r.string("distkv.node.id", true);
    NodeId nodeId = null;
    if (id != null) {
      try {
        nodeId = NodeId.of(id);
      } catch (InvalidArgumentException e) {
        r.problem("distkv.node.id", "expected 1..64 chars of [A-Za-z0-9_.-] starting with a letter or digit");
      }
    }
    String host = r.string("distkv.node.host", true);
    int port = r.intInRange("distkv.node.port", 1, 65535);
    int jmxPort = r.intInRange("distkv.node.jmx-port", 0, 65535);
    int respPort = r.intInRange("distkv.node.resp-port", 0, 65535);
    int httpPort = r.intInRange("distkv.node.http-port", 0, 65535);
    String respPassword = r.string("distkv.resp.password", false);
    int respInFlight = r.intInRange("distkv.resp.max-in-flight", 1, 10_000);
    Duration respIdle = r.positiveDuration("distkv.resp.idle-timeout");
    io.distkv.common.auth.Users users = io.distkv.common.auth.Users.read(c, r);
    String dataDir = r.string("distkv.node.data-dir", true);
    int partitions = r.intInRange("distkv.partitions", PlacementSettings.MIN_PARTITIONS, PlacementSettings.MAX_PARTITIONS);
    int rf = r.intInRange("distkv.replication-factor", HashRing.MIN_REPLICATION_FACTOR, HashRing.MAX_REPLICATION_FACTOR);
    int vnodes = r.intInRange("distkv.virtual-nodes", 1, 10_000);
    boolean hashTags = r.bool("distkv.hash-tags");
    Duration election = r.positiveDuration("distkv.raft.election-timeout");
    Duration heartbeat = r.positiveDuration("distkv.raft.heartbeat-interval");
    if (heartbeat.multipliedBy(MIN_ELECTION_TICKS).compareTo(election) > 0
        && r.problems().stream().noneMatch(p -> p.startsWith("distkv.raft."))) {
      r.problem("distkv.raft.heartbeat-interval", "must be at most 1/" + MIN_ELECTION_TICKS
          + " of distkv.raft.election-timeout (" + election.toMillis() + "ms)");
    } else if (heartbeat.multipliedBy(MAX_ELECTION_TICKS).compareTo(election) < 0
        && r.problems().stream().noneMatch(p -> p.startsWith("distkv.raft."))) {
      r.problem("distkv.raft.heartbeat-interval", "must be at least 1/" + MAX_ELECTION_TICKS
          + " of distkv.raft.election-timeout (" + election.toMillis() + "ms)");
    }
    TlsSettings tls = TlsSettings.read(c, r);
    String logFormat = r.string("distkv.log.format", true);
    if (logFormat != null && !logFormat.equals("text") && !logFormat.equals("json")) {
      r.problem("distkv.log.format", "expected \"text\" or \"json\"");
    }
    String readMode = r.string("distkv.raft.read-mode", true);
    boolean leaseReads = "lease".equals(readMode);
    if (readMode != null && !leaseReads && !"read-index".equals(readMode)) {
      r.problem("distkv.raft.read-mode", "expected \"lease\" or \"read-index\"");
    }
    long snapshotEntries = r.intInRange("distkv.raft.snapshot-entries", 1, Integer.MAX_VALUE);
    long snapshotBytes = r.bytesInRange("distkv.raft.snapshot-bytes", 1, Long.MAX_VALUE);
    long snapshotRate = r.bytesInRange("distkv.raft.snapshot-max-bytes-per-sec", 0, Long.MAX_VALUE);
    long heap = Runtime.getRuntime().maxMemory();
    long logBudget = r.bytesOrHeapShare("distkv.raft.log-memory-budget", 1L << 20, Long.MAX_VALUE, heap);
    long blockCache = r.bytesOrHeapShare("distkv.storage.block-cache-size", 0, Long.MAX_VALUE, heap);
    long writeBuffer = r.bytesInRange("distkv.storage.write-buffer-size", 64 * 1024, 1L << 30);
    long writeBudget = r.bytesOrHeapShare("distkv.storage.write-buffer-budget", 64 * 1024, Long.MAX_VALUE, heap);
    int compactionThreads = r.intInRange("distkv.storage.compaction-threads", 1, 64);
    String compression = r.string("distkv.storage.compression", true);
    if (compression != null && !compression.equals("none") && !compression.equals("lz4")) {
      r.problem("distkv.storage.compression", "expected \"none\" or \"lz4\"");
    }
    int bloomBits = r.intInRange("distkv.storage.bloom-bits-per-key", 0, 32);
    Duration leaderBalance = r.nonNegativeDuration("distkv.leader-balance-interval");
    Duration requestTimeout = r.positiveDuration("distkv.client.request-timeout");
    int retries = r.intInRange("distkv.client.max-retries", 0, 100);
    Duration backoff = r.positiveDuration("distkv.client.retry-backoff");
    long maxKey = r.bytesInRange("distkv.limits.max-key-size", 1, 64 * 1024);
    long maxValue = r.bytesInRange("distkv.limits.max-value-size", 0, 64L * 1024 * 1024);
    java.util.List<Member> members = new java.util.ArrayList<>();
    java.util.Set<NodeId> seenIds = new java.util.HashSet<>();
    for (String m : r.stringList("distkv.cluster.members")) {
      java.util.regex.Matcher mm = java.util.regex.Pattern.compile("([^@]+)@([^:]+):(\\d{1,5})").matcher(m);
      if (!mm.matches()) {
        r.problem("distkv.cluster.members", "entries must look like id@host:port, got '" + m + "'");
        continue;
      }
      try {
        Member member = new Member(NodeId.of(mm.group(1)), mm.group(2), Integer.parseInt(mm.group(3)));
        if (!seenIds.add(member.id())) {
          r.problem("distkv.cluster.members", "node id " + member.id() + " is listed twice");
        }
        members.add(member);
      } catch (InvalidArgumentException e) {
        r.problem("distkv.cluster.members", "bad node id in '" + m + "'");
      }
    }
    if (nodeId != null && host != null) {
      if (members.isEmpty()) {
        members.add(new Member(nodeId, host, port)); // a single-node cluster of just this node
      } else {
        NodeId selfId = nodeId;
        java.util.Optional<Member> self = members.stream().filter(m -> m.id().equals(selfId)).findFirst();
        // A node not in the list is a joining node: it hosts nothing until an add-node places replicas on it.
        if (self.isPresent() && (!self.get().host().equals(host) || self.get().port() != port)) {
          r.problem("distkv.cluster.members", "lists " + self.get() + " but this node is configured as " + host + ":" + port);
        }
      }
    }
    java.util.List<String> seeds = new java.util.ArrayList<>();
    for (String seed : r.stringList("distkv.cluster.seed-nodes")) {
      if (!seed.matches("[^:@/\\s]+:\\d{1,5}")) {
        r.problem("distkv.cluster.seed-nodes", "entries must look like host:port, got '" + seed + "'");
      } else {
        seeds.add(seed);
      }
    }
    if (seeds.isEmpty()) {
      members.forEach(m -> seeds.add(m.host() + ":" + m.port()));
    }
    Duration downAfter = r.positiveDuration("distkv.cluster.down-unreachable-after");
    boolean faultInjection = r.bool("distkv.test.fault-injection");
    if (faultInjection && !Boolean.getBoolean(ALLOW_FAULT_INJECTION)) {
      r.problem("distkv.test.fault-injection", "test-only; the node must also be started with -D" + ALLOW_FAULT_INJECTION
          + "=true");
    }
    if (faultInjection && jmxPort == 0) {
      r.problem("distkv.test.fault-injection", "needs distkv.node.jmx-port (the verifier drives it over JMX)");
    }
    r.throwIfInvalid();
    return new NodeConfig(
        nodeId,
        host,
        port,
        Path.of(dataDir),
        new PlacementSettings(partitions, rf, vnodes, hashTags),
        election,
        heartbeat,
        requestTimeout,
        retries,
        backoff,
        new KeyLimits((int) maxKey, (int) maxValue),
        java.util.List.copyOf(members),
        jmxPort,
        leaseReads,
        leaderBalance,
        java.util.List.copyOf(seeds),
        downAfter,
        faultInjection,
        snapshotEntries,
        snapshotBytes,
        snapshotRate,
        logBudget,
        new StorageSettings(blockCache, writeBuffer, writeBudget, compactionThreads, "lz4".equals(compression), bloomBits),
        new RespConfig(respPort, respPassword == null ? "" : respPassword, respInFlight, respIdle),
        httpPort,
        "json".equals(logFormat),
        tls,
        users);
  }
}
