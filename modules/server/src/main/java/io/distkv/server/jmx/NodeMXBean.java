package io.distkv.server.jmx;

/** JMX view of a node: {@code io.distkv:type=Node,name=<node id>}. */
public interface NodeMXBean {
  String getState();

  int getPartitionsHosted();

  int getLeadersHeld();

  long getRequests();

  long getRequestErrors();

  long getLatencyP50Micros();

  long getLatencyP99Micros();
}
