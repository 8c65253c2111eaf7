package io.distkv.server.jmx;

/**
 * Test-only: cuts and restores this node's message paths to other nodes (Artery's test-mode
 * blackhole, both directions). Registered only when {@code distkv.test.fault-injection} is on.
 */
public interface FaultInjectionMXBean {
  /** The peers ({@code host:port}) this node currently exchanges no messages with. */
  String[] getBlackholed();

  /** Drops every message to and from the node at {@code hostPort} (its Artery address) until healed. */
  void blackhole(String hostPort);

  /** Lets messages to and from {@code hostPort} through again. */
  void heal(String hostPort);

  /** Heals every path this node cut. */
  void healAll();
}
