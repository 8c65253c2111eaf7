package io.distkv.raft.transport;

import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftMessage;
import java.util.Collection;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A transport that can cut directed paths (sender → receiver) and heal them: how tests inject
 * network faults without touching Raft logic. Everything not cut goes to the delegate.
 */
public final class FaultyTransport implements Transport {
  private final Transport delegate;
  private final Set<String> cut = ConcurrentHashMap.newKeySet();

  public FaultyTransport(Transport delegate) {
    this.delegate = delegate;
  }

  /** Drops every message from {@code from} to {@code to}. */
  public void cut(String from, String to) {
    cut.add(from + "->" + to);
  }

  /** Cuts every path between {@code node} and {@code others}, both directions. */
  public void isolate(String node, Collection<String> others) {
    for (String o : others) {
      cut(node, o);
      cut(o, node);
    }
  }

  public void heal() {
    cut.clear();
  }

  @Override
  public void send(String group, RaftMessage message) {
    if (!cut.contains(message.from() + "->" + message.to())) {
      delegate.send(group, message);
    }
  }
}
