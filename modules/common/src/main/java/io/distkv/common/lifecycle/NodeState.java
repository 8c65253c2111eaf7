package io.distkv.common.lifecycle;

/** Where a node is in its life: INIT → STARTING → RUNNING → STOPPING → STOPPED, or FAILED. */
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
      case STARTING -> to == RUNNING || to == FAILED;
      case RUNNING -> to == STOPPING || to == FAILED;
      case STOPPING -> to == STOPPED || to == FAILED;
      case STOPPED -> to == STARTING; // restart
      case FAILED -> false;
    };
  }
}
