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
   * Remoting on {@code host:port} (port 0 = any free port), log level WARNING. Frames up to 2 MiB,
   * so a largest value (1 MiB) with its key, or a scan page (≤ 1 MiB plus one entry), fits in one
   * message; buffers of that size are pooled on demand, 32 at most.
   */
  public static Config artery(String host, int port) {
    return ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "%s"
        pekko.remote.artery.canonical.port = %d
        pekko.remote.warn-about-direct-use = off
        pekko.remote.artery.advanced.maximum-frame-size = 2MiB
        pekko.remote.artery.advanced.buffer-pool-size = 32
        pekko.loglevel = WARNING
        """.formatted(host, port));
  }
}
