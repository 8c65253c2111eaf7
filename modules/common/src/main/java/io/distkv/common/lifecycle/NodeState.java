package io.distkv.common.lifecycle;

/**
 * Where a node is in its life: INIT → STARTING → RUNNING → STOPPING → STOPPED, or FAILED. A node is
 * STARTING until it is an {@code Up} member of the Pekko Cluster, and may be stopped (SIGTERM, or
 * downed by the split-brain resolver) before it gets there.
 */
public enum NodeState {
  INIT,
  STARTING,
  RUNNING,
  STOPPING,
  STOPPED,
  FAILED;

  /** Whether the lifecycle allows going from this state straight to {@code to}. */
  public boolean canTransitionTo(NodeState to) {
    return switch (this) {
      case INIT -> to == STARTING;
      case STARTING -> to == RUNNING || to == STOPPING || to == FAILED; // stopped before it ran
      case RUNNING -> to == STOPPING || to == FAILED;
      case STOPPING -> to == STOPPED || to == FAILED;
      case STOPPED -> to == STARTING; // restart
      case FAILED -> false;
    };
  }
}
