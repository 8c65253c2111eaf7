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
    KeyLimits limits) {

  /** Reads {@code distkv.*} from {@code config} layered over the reference defaults. */
  public static NodeConfig from(Config config) {
    Config c;
    try {
      c = config.withFallback(ConfigFactory.defaultReference()).resolve();
    } catch (ConfigException e) {
      throw new ConfigValidationException(java.util.List.of("configuration cannot be resolved: " + e.getMessage()));
    }
    ConfigReader r = new ConfigReader(c);
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
    String dataDir = r.string("distkv.node.data-dir", true);
    int partitions = r.intInRange("distkv.partitions", PlacementSettings.MIN_PARTITIONS, PlacementSettings.MAX_PARTITIONS);
    int rf = r.intInRange("distkv.replication-factor", HashRing.MIN_REPLICATION_FACTOR, HashRing.MAX_REPLICATION_FACTOR);
    int vnodes = r.intInRange("distkv.virtual-nodes", 1, 10_000);
    Duration election = r.positiveDuration("distkv.raft.election-timeout");
    Duration heartbeat = r.positiveDuration("distkv.raft.heartbeat-interval");
    if (heartbeat.compareTo(election) >= 0 && r.problems().stream().noneMatch(p -> p.startsWith("distkv.raft."))) {
      r.problem("distkv.raft.heartbeat-interval", "must be shorter than distkv.raft.election-timeout (" + election.toMillis() + "ms)");
    }
    Duration requestTimeout = r.positiveDuration("distkv.client.request-timeout");
    int retries = r.intInRange("distkv.client.max-retries", 0, 100);
    Duration backoff = r.positiveDuration("distkv.client.retry-backoff");
    long maxKey = r.bytesInRange("distkv.limits.max-key-size", 1, 64 * 1024);
    long maxValue = r.bytesInRange("distkv.limits.max-value-size", 0, 64L * 1024 * 1024);
    r.throwIfInvalid();
    return new NodeConfig(
        nodeId,
        host,
        port,
        Path.of(dataDir),
        new PlacementSettings(partitions, rf, vnodes),
        election,
        heartbeat,
        requestTimeout,
        retries,
        backoff,
        new KeyLimits((int) maxKey, (int) maxValue));
  }
}
