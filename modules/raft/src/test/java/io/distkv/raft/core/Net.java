package io.distkv.raft.core;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A tiny synchronous network of cores for the paper tests: persist = keep, then deliver in order. */
final class Net {
  final Map<String, RaftCore> cores = new LinkedHashMap<>();
  final Map<String, List<Entry>> applied = new LinkedHashMap<>();
  final Map<String, List<ReadState>> reads = new LinkedHashMap<>();
  final List<RaftMessage> queue = new ArrayList<>();
  final Set<String> cut = new HashSet<>();

  static Net of(RaftOptions options, String... ids) {
    Net net = new Net();
    Configuration conf = Configuration.ofVoters(ids);
    long seed = 1;
    for (String id : ids) {
      net.add(new RaftCore(id, options, seed++, HardState.EMPTY, null, List.of(), conf, 0));
    }
    return net;
  }

  void add(RaftCore core) {
    cores.put(core.id(), core);
    applied.put(core.id(), new ArrayList<>());
    reads.put(core.id(), new ArrayList<>());
  }

  RaftCore get(String id) {
    return cores.get(id);
  }

  /** Collects every Ready, then delivers queued messages until quiet. */
  void settle() {
    for (int guard = 0; guard < 100_000; guard++) {
      for (RaftCore c : cores.values()) {
        drain(c);
      }
      if (queue.isEmpty()) {
        return;
      }
      RaftMessage m = queue.remove(0);
      RaftCore to = cores.get(m.to());
      if (to != null && !cut.contains(m.from()) && !cut.contains(m.to())) {
        to.step(m);
      }
    }
    throw new AssertionError("network did not settle");
  }

  void drain(RaftCore c) {
    while (c.hasReady()) {
      Ready r = c.ready();
      if (!cut.contains(c.id())) {
        queue.addAll(r.messages());
      }
      applied.get(c.id()).addAll(r.committed());
      reads.get(c.id()).addAll(r.readStates());
      c.advance(r);
    }
  }

  void tick(String id, int n) {
    for (int i = 0; i < n; i++) {
      cores.get(id).tick();
      settle();
    }
  }

  void tickAll(int n) {
    for (int i = 0; i < n; i++) {
      for (RaftCore c : cores.values()) {
        c.tick();
      }
      settle();
    }
  }

  /** Elects {@code id} by timing it out first. */
  void elect(String id) {
    cores.get(id).campaign();
    settle();
  }

  List<String> appliedData(String id) {
    List<String> out = new ArrayList<>();
    for (Entry e : applied.get(id)) {
      if (e.type() == Entry.Type.NORMAL) {
        out.add(new String(e.data()));
      }
    }
    return out;
  }
}
