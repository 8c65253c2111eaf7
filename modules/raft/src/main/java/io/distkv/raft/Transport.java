package io.distkv.raft;

import io.distkv.raft.core.RaftMessage;

/**
 * The seam every message between replicas passes: production wires it to {@code ActorRef.tell}
 * over Pekko remoting; tests wire one that can drop, delay, duplicate or cut paths.
 */
public interface Transport {
  /** Sends {@code message} (addressed to {@code message.to()}) for group {@code group}; best effort. */
  void send(String group, RaftMessage message);
}
