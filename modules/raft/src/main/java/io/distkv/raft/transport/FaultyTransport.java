package io.distkv.raft.transport;

import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftMessage;
import java.util.Collection;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A transport for fault injection: per directed path (sender → receiver) it can cut, drop a
 * fraction of messages, or duplicate a fraction; it can split replicas into sides and heal. Drops
 * and duplicates come from a seeded {@link Random}, so a schedule can be replayed. Everything
 * that passes goes to the delegate (e.g. {@link ActorTransport}). Reordering and delays are
 * covered by the deterministic simulation, which owns message delivery outright.
 */
public final class FaultyTransport implements Transport {
  private final Transport delegate;
  private final Random random;
  private final Set<String> cut = ConcurrentHashMap.newKeySet();
  private final Map<String, Double> dropRate = new ConcurrentHashMap<>();
  private final Map<String, Double> duplicateRate = new ConcurrentHashMap<>();

  public FaultyTransport(Transport delegate, long seed) {
    this.delegate = delegate;
    this.random = new Random(seed);
  }

  public FaultyTransport(Transport delegate) {
    this(delegate, 0);
  }

  private static String path(String from, String to) {
    return from + "->" + to;
  }

  /** Drops every message from {@code from} to {@code to}. */
  public void cut(String from, String to) {
    cut.add(path(from, to));
  }

  /** Cuts every path between {@code node} and {@code others}, both directions. */
  public void isolate(String node, Collection<String> others) {
    for (String o : others) {
      cut(node, o);
      cut(o, node);
    }
  }

  /** Cuts every path between a member of {@code sideA} and a member of {@code sideB}. */
  public void split(Collection<String> sideA, Collection<String> sideB) {
    for (String a : sideA) {
      isolate(a, sideB);
    }
  }

  /** Drops each message on {@code from → to} with probability {@code rate}. */
  public void drop(String from, String to, double rate) {
    dropRate.put(path(from, to), rate);
  }

  /** Sends each message on {@code from → to} twice with probability {@code rate}. */
  public void duplicate(String from, String to, double rate) {
    duplicateRate.put(path(from, to), rate);
  }

  /** Removes every fault. */
  public void heal() {
    cut.clear();
    dropRate.clear();
    duplicateRate.clear();
  }

  @Override
  public void send(String group, RaftMessage message) {
    String p = path(message.from(), message.to());
    if (cut.contains(p)) {
      return;
    }
    double drop = dropRate.getOrDefault(p, 0.0);
    double dup = duplicateRate.getOrDefault(p, 0.0);
    boolean dropIt;
    boolean dupIt;
    synchronized (random) {
      dropIt = drop > 0 && random.nextDouble() < drop;
      dupIt = dup > 0 && random.nextDouble() < dup;
    }
    if (dropIt) {
      return;
    }
    delegate.send(group, message);
    if (dupIt) {
      delegate.send(group, message);
    }
  }
}
