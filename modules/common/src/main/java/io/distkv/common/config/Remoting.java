package io.distkv.common.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;

/**
 * The Pekko settings every dist-kv ActorSystem that talks to other nodes shares: remote actor
 * provider on an Artery TCP address. One place, so nodes, tools, benchmarks and tests agree.
 */
public final class Remoting {
  private Remoting() {}

  /** Remoting on {@code host:port} (port 0 = any free port), log level WARNING. */
  public static Config artery(String host, int port) {
    return ConfigFactory.parseString("""
        pekko.actor.provider = remote
        pekko.remote.artery.canonical.hostname = "%s"
        pekko.remote.artery.canonical.port = %d
        pekko.remote.warn-about-direct-use = off
        pekko.loglevel = WARNING
        """.formatted(host, port));
  }
}
