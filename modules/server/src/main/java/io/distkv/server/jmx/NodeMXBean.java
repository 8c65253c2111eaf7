package io.distkv.server.jmx;

/** JMX view of a node: {@code io.distkv:type=Node,name=<node id>}. */
public interface NodeMXBean {
  /** Lifecycle state: STARTING until the node is an Up cluster member, then RUNNING. */
  String getState();

  /** This node's status in the Pekko Cluster membership: joining, up, leaving, exiting, down, removed. */
  String getMemberStatus();

  int getPartitionsHosted();

  int getLeadersHeld();

  long getRequests();

  long getRequestErrors();

  long getLatencyP50Micros();

  long getLatencyP99Micros();
}
