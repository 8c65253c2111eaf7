package io.distkv.common.config;

import java.time.Duration;

/**
 * A node's Redis-protocol server ({@code distkv.node.resp-port}, {@code distkv.resp.*};
 * docs/resp.md).
 *
 * @param port the RESP port (0 = no RESP server)
 * @param password what a bare AUTH password must give (the "default" user, role admin; "" = none)
 * @param maxInFlight requests of one connection carried out at once (pipelining beyond it waits)
 * @param idleTimeout a connection with no traffic for this long is closed
 */
public record RespConfig(int port, String password, int maxInFlight, Duration idleTimeout) {
  public static final RespConfig OFF = new RespConfig(0, "", 128, Duration.ofMinutes(5));

  public boolean enabled() {
    return port > 0;
  }
}
