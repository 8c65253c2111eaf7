package io.distkv.common.lifecycle;

import io.distkv.common.error.InvalidArgumentException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The lifecycle state machine of a node. Thread-safe: transitions are serialized, and listeners are
 * called after each transition, in transition order, on the thread that made it (under the
 * lifecycle's lock, so a listener must not block).
 */
public final class NodeLifecycle {
  /** Observer of state changes. */
  @FunctionalInterface
  public interface Listener {
    void onTransition(NodeState from, NodeState to);
  }

  private final String nodeName;
  private final List<Listener> listeners = new CopyOnWriteArrayList<>();
  private NodeState state = NodeState.INIT;
  private Throwable failure;

  public NodeLifecycle(String nodeName) {
    this.nodeName = nodeName;
  }

  public synchronized NodeState state() {
    return state;
  }

  /** Why the node failed, if it is FAILED. */
  public synchronized Throwable failure() {
    return failure;
  }

  public void addListener(Listener listener) {
    listeners.add(listener);
  }

  /** INIT or STOPPED → STARTING. */
  public void beginStart() {
    transition(NodeState.STARTING);
  }

  /** STARTING → RUNNING. */
  public void markRunning() {
    transition(NodeState.RUNNING);
  }

  /** STARTING or RUNNING → STOPPING. */
  public void beginStop() {
    transition(NodeState.STOPPING);
  }

  /** STOPPING → STOPPED. */
  public void markStopped() {
    transition(NodeState.STOPPED);
  }

  /** STARTING, RUNNING or STOPPING → FAILED, recording the cause. */
  public synchronized void markFailed(Throwable cause) {
    transition(NodeState.FAILED);
    failure = cause;
  }

  /** Moves to {@code to}, or throws {@link InvalidArgumentException} naming both states. */
  public synchronized void transition(NodeState to) {
    NodeState from = state;
    if (!from.canTransitionTo(to)) {
      throw new InvalidArgumentException(
          "node " + nodeName + ": illegal lifecycle transition " + from + " -> " + to);
    }
    state = to;
    for (Listener l : listeners) {
      l.onTransition(from, to);
    }
  }
}
