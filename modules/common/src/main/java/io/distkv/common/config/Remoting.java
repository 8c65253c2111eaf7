package io.distkv.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The Pekko settings every dist-kv ActorSystem that talks to other nodes shares: remote actor
 * provider on an Artery TCP address. One place, so nodes, tools, benchmarks and tests agree.
 */
public final class Remoting {
  private Remoting() {}

  /**
   * {@link #artery} under the JVM's system properties and {@code overrides} (a node's own conf):
   * the address still comes from {@code host:port} unless overridden explicitly, and any tuning
   * here (dispatchers, frame size) can be changed by {@code -Dpekko...} or the node's conf.
   */
  public static Config artery(String host, int port, Config overrides) {
    return ConfigFactory.systemProperties().withFallback(overrides).withFallback(artery(host, port));
  }

  /**
   * Remoting on {@code host:port} (port 0 = any free port), log level WARNING. Frames up to 2 MiB,
   * so a largest value (1 MiB) with its key, or a scan page (≤ 1 MiB plus one entry), fits in one
   * message; buffers of that size are pooled on demand, 32 at most.
   *
   * <p>Dispatchers are sized to the cores ({@code parallelism-factor 1.0}, at least 2 threads)
   * rather than Pekko's default of at least 8: a dist-kv node's work is many tiny messages, and
   * on a small machine every idle worker woken for one of them is a context switch. Actors run
   * up to 100 messages per turn. Measured on 2 cores, 3 nodes + load generator, 64 clients,
   * write-only: 1,237 → 1,983 ops/s (docs/benchmarks.md).
   *
   * <p>Artery's streams and Pekko IO's TCP connection actors run on the default dispatcher, the
   * one the actors they deliver to run on, instead of pools of their own: a message then crosses
   * from the socket to its recipient (and back out) inside one pool, often on a thread that is
   * already awake, instead of waking a thread of another pool at each of Artery's stages. Measured
   * here (two ActorSystems in one JVM, actor ping-pong over loopback Artery, p50): 0.27 ms →
   * 0.11 ms; bare Raft commit latency with one proposer and no fsync: 0.68 → 0.34 ms. Artery's
   * control stream (handshakes, system messages) stays on the internal dispatcher.
   *
   * <p>Actor-ref compression is off: its tables map a path to the actor it resolved to when the
   * table was built, so a path that had no actor then (a replica a membership change creates a
   * moment later) stays undeliverable from that peer (seen: a node's new replicas cut off a minute
   * after add-node). Paths then travel in full, some tens of bytes per message.
   */
  public static Config artery(String host, int port) {
    return ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "%s"
        pekko.remote.artery.canonical.port = %d
        pekko.remote.warn-about-direct-use = off
        pekko.remote.artery.advanced.maximum-frame-size = 2MiB
        pekko.remote.artery.advanced.buffer-pool-size = 32
        pekko.remote.artery.advanced.inbound-lanes = 1
        pekko.remote.artery.advanced.compression.actor-refs.max = off
        pekko.remote.artery.advanced.use-dispatcher = "pekko.actor.default-dispatcher"
        pekko.io.tcp.worker-dispatcher = "pekko.actor.default-dispatcher"
        pekko.actor.default-dispatcher.throughput = 100
        pekko.actor.default-dispatcher.fork-join-executor.parallelism-min = 2
        pekko.actor.default-dispatcher.fork-join-executor.parallelism-factor = 1.0
        pekko.actor.default-dispatcher.fork-join-executor.parallelism-max = 16
        pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-min = 1
        pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-factor = 0.5
        pekko.remote.default-remote-dispatcher.fork-join-executor.parallelism-max = 4
        pekko.loglevel = WARNING
        """.formatted(host, port));
  }
}
