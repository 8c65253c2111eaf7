package io.distkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.BusyException;
import io.distkv.common.error.NotLeaderException;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Raft paper (§5) and thesis sections, test by test, on the deterministic core. */
@Tag("phase3")
class RaftPaperTest {
  static final RaftOptions OPTS = RaftOptions.defaults();
  /** The paper's basic algorithm: no pre-vote, no check-quorum (so no leader lease on votes). */
  static final RaftOptions BASIC = new RaftOptions(10, 1, false, false, false, 0, 256, 1 << 20, 64, 8L << 20, 64L << 20, 1 << 20);

  @Test
  void s5_2_aSingleVoterElectsItselfAndCommitsAtOnce() {
    Net net = Net.of(OPTS, "a");
    net.tick("a", 2 * OPTS.electionTicks());
    assertThat(net.get("a").role()).isEqualTo(Role.LEADER);
    assertThat(net.get("a").term()).isEqualTo(1);
    long idx = net.get("a").propose("x".getBytes());
    net.settle();
    assertThat(net.get("a").commitIndex()).isEqualTo(idx);
    assertThat(net.appliedData("a")).containsExactly("x");
  }

  @Test
  void s5_2_electionTimeoutStartsAnElectionAndAMajorityElects() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.tick("a", 2 * OPTS.electionTicks()); // only a's clock runs: it times out first
    assertThat(net.get("a").role()).isEqualTo(Role.LEADER);
    assertThat(net.get("b").leader()).isEqualTo("a");
    assertThat(net.get("c").leader()).isEqualTo("a");
    assertThat(net.get("b").term()).isEqualTo(net.get("a").term());
  }

  @Test
  void s5_2_electionSafetyAtMostOneLeaderPerTermAndOneVotePerTerm() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.get("a").campaign();
    net.get("b").campaign();
    net.settle();
    long leaders = net.cores.values().stream().filter(c -> c.role() == Role.LEADER).count();
    assertThat(leaders).isLessThanOrEqualTo(1);
  }

  @Test
  void s5_3_logReplicationAndLogMatching() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    for (int i = 0; i < 50; i++) {
      net.get("a").propose(("e" + i).getBytes());
    }
    net.settle();
    for (String id : List.of("a", "b", "c")) {
      assertThat(net.appliedData(id)).hasSize(50).startsWith("e0", "e1").endsWith("e49");
      assertThat(net.get(id).lastIndex()).isEqualTo(net.get("a").lastIndex());
    }
  }

  @Test
  void s5_3_aFollowerWithAConflictingSuffixIsRepairedByFastBackoff() {
    Net net = Net.of(BASIC, "a", "b", "c");
    net.elect("a");
    net.get("a").propose("common".getBytes());
    net.settle();
    // a is cut off and appends entries nobody else gets (they will be overwritten)
    net.cut.add("a");
    for (int i = 0; i < 5; i++) {
      net.get("a").propose(("lost" + i).getBytes());
    }
    net.settle();
    net.cut.clear();
    net.elect("b");
    net.get("b").propose("kept".getBytes());
    net.settle();
    net.tick("b", 2);
    assertThat(net.get("a").role()).isEqualTo(Role.FOLLOWER);
    for (String id : List.of("a", "b", "c")) {
      assertThat(net.appliedData(id)).containsExactly("common", "kept");
    }
  }

  @Test
  void s5_4_1_electionRestrictionAStaleLogCannotWin() {
    Net net = Net.of(BASIC, "a", "b", "c");
    net.elect("a");
    net.cut.add("c");
    net.get("a").propose("x".getBytes());
    net.settle();
    net.cut.clear();
    // c's log lacks x: its RequestVote is refused by a and b (§5.4.1)
    net.cut.add("a");
    net.get("c").campaign();
    net.settle();
    assertThat(net.get("c").role()).isNotEqualTo(Role.LEADER);
    net.get("b").campaign();
    net.settle();
    assertThat(net.get("b").role()).isEqualTo(Role.LEADER);
  }

  @Test
  void s5_4_2_aLeaderCommitsOnlyEntriesOfItsOwnTermByCounting() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    long before = net.get("a").commitIndex();
    // The new leader's first act is a no-op of its term; earlier-term entries commit with it.
    assertThat(net.get("a").termAt(net.get("a").lastIndex())).isEqualTo(net.get("a").term());
    assertThat(before).isEqualTo(net.get("a").lastIndex());
    net.cut.add("b");
    net.cut.add("c");
    long idx = net.get("a").propose("unreplicated".getBytes());
    net.settle();
    assertThat(net.get("a").commitIndex()).isLessThan(idx); // no majority: not committed
  }

  @Test
  void s9_6_preVoteKeepsAPartitionedNodeFromDisruptingTheCluster() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    long term = net.get("a").term();
    net.cut.add("c");
    net.tick("c", 10 * OPTS.electionTicks()); // c times out again and again while cut off
    assertThat(net.get("c").term()).isEqualTo(term); // pre-votes failed, so its term never grew
    net.cut.clear();
    net.tickAll(3);
    assertThat(net.get("a").role()).isEqualTo(Role.LEADER);
    assertThat(net.get("a").term()).isEqualTo(term);
  }

  @Test
  void s6_2_checkQuorumMakesAnIsolatedLeaderStepDown() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.cut.add("a");
    net.tick("a", 2 * OPTS.electionTicks() + 1);
    assertThat(net.get("a").role()).isEqualTo(Role.FOLLOWER);
    assertThatThrownBy(() -> net.get("a").propose("x".getBytes())).isInstanceOf(NotLeaderException.class);
  }

  @Test
  void s6_4_readIndexConfirmsLeadershipBeforeServing() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.get("a").propose("x".getBytes());
    net.settle();
    net.get("a").readIndex(7);
    net.settle();
    assertThat(net.reads.get("a")).containsExactly(new ReadState(7, net.get("a").commitIndex()));
    // Cut off, the leader cannot confirm: the read does not complete.
    net.cut.add("a");
    net.get("a").readIndex(8);
    net.settle();
    assertThat(net.reads.get("a")).extracting(ReadState::requestId).containsExactly(7L);
    assertThatThrownBy(() -> net.get("b").readIndex(9)).isInstanceOf(NotLeaderException.class)
        .satisfies(e -> assertThat(((NotLeaderException) e).leaderHint()).contains("a"));
  }

  @Test
  void s6_4_1_leaseReadsAnswerWithoutARoundTripWhileTheLeaseHolds() {
    RaftOptions lease = OPTS.withLeaseReads(7);
    Net net = Net.of(lease, "a", "b", "c");
    // Replicas refuse votes for one election timeout after starting (they may have granted a
    // lease they no longer remember), so the first election happens on the clock.
    net.tickAll(3 * lease.electionTicks());
    RaftCore leader = net.cores.values().stream().filter(c -> c.role() == Role.LEADER).findFirst().orElseThrow();
    String l = leader.id();
    net.tickAll(1); // heartbeat answers refresh the lease
    net.cores.keySet().stream().filter(id -> !id.equals(l)).forEach(net.cut::add);
    leader.readIndex(1);
    net.drain(leader);
    assertThat(net.reads.get(l)).extracting(ReadState::requestId).containsExactly(1L);
    net.tick(l, lease.leaseTicks() + 1); // the lease runs out without answers
    if (leader.role() == Role.LEADER) {
      leader.readIndex(2);
      net.drain(leader);
    }
    assertThat(net.reads.get(l)).extracting(ReadState::requestId).containsExactly(1L);
  }

  @Test
  void s6_4_1_aRestartedReplicaGrantsNoVoteWithinOneElectionTimeout() {
    RaftOptions lease = OPTS.withLeaseReads(7);
    RaftCore fresh = new RaftCore("b", lease, 3, HardState.EMPTY, null, List.of(), Configuration.ofVoters("a", "b", "c"), 0);
    fresh.step(new RaftMessage.RequestVote("a", "b", 1, 0, 0, false));
    Ready r = fresh.ready();
    assertThat(r.messages()).isEmpty(); // ignored, term not adopted
    assertThat(fresh.term()).isZero();
    for (int i = 0; i < lease.electionTicks(); i++) {
      fresh.tick();
    }
    fresh.advance(fresh.ready());
    RaftCore again = fresh;
    again.step(new RaftMessage.RequestVote("c", "b", 5, 0, 0, false));
    assertThat(again.ready().messages()).contains(new RaftMessage.VoteResponse("b", "c", 5, true));
  }

  @Test
  void aLeaderHoldsAtMostMaxInflightBytesForAFollowerThatStoppedAnswering() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.get("a").propose("warm-up".getBytes());
    net.settle(); // b and c are in replicate state
    net.cut.add("c");
    long toC = 0;
    byte[] value = new byte[256 << 10];
    for (int i = 0; i < 100; i++) { // 25 MiB proposed
      net.get("a").propose(value);
      net.drain(net.get("a"));
      for (RaftMessage m : net.queue) {
        if (m instanceof RaftMessage.AppendEntries ae && ae.to().equals("c")) {
          toC += ae.entries().stream().mapToLong(Entry::size).sum();
        }
      }
      net.settle();
    }
    assertThat(net.appliedData("b")).hasSize(101); // b keeps up; the group commits with a and b
    assertThat(toC).as("bytes sent to the silent c").isGreaterThan(0)
        .isLessThanOrEqualTo(OPTS.maxInflightBytes() + OPTS.maxBytesPerAppend());
  }

  @Test
  void s7_snapshotInstallBringsAFarBehindFollowerUpToDate() {
    Net net = cMissed30Entries();
    RaftCore a = net.get("a");
    a.compact(a.commitIndex());
    assertThat(a.snapshotIndex()).isEqualTo(a.commitIndex());
    net.cut.clear();
    net.tickAll(3);
    RaftCore c = net.get("c");
    assertThat(c.snapshotIndex()).isEqualTo(a.snapshotIndex());
    assertThat(c.commitIndex()).isEqualTo(a.commitIndex());
    a.propose("after".getBytes());
    net.settle();
    assertThat(net.appliedData("c")).containsExactly("after");
  }

  /** a leads a, b, c; c was cut off while a committed 30 entries (the cut is still in place). */
  static Net cMissed30Entries() {
    Net net = Net.of(OPTS.withLimits(4, 1024, 2, 1 << 20, 16), "a", "b", "c");
    net.elect("a");
    net.cut.add("c");
    for (int i = 0; i < 30; i++) {
      net.get("a").propose(("e" + i).getBytes());
    }
    net.settle();
    return net;
  }

  /** Ticks a (up to three heartbeats) until it asks its driver for a snapshot; the requests. */
  static List<RaftMessage.InstallSnapshot> ticksUntilASnapshotIsAsked(Net net) {
    List<RaftMessage.InstallSnapshot> asked = new java.util.ArrayList<>();
    for (int t = 0; t < 3 && asked.isEmpty(); t++) {
      net.get("a").tick(); // (Net.tick would deliver the InstallSnapshot itself)
      asked.addAll(settleHoldingSnapshots(net));
    }
    return asked;
  }

  /** Delivers messages until quiet, holding back every InstallSnapshot (returned: the driver's job). */
  static List<RaftMessage.InstallSnapshot> settleHoldingSnapshots(Net net) {
    List<RaftMessage.InstallSnapshot> held = new java.util.ArrayList<>();
    for (int guard = 0; guard < 100_000; guard++) {
      for (String id : List.of("a", "b", "c")) {
        net.drain(net.get(id));
      }
      if (net.queue.isEmpty()) {
        return held;
      }
      RaftMessage m = net.queue.remove(0);
      if (m instanceof RaftMessage.InstallSnapshot s) {
        held.add(s);
      } else if (!net.cut.contains(m.from()) && !net.cut.contains(m.to())) {
        net.get(m.to()).step(m);
      }
    }
    throw new AssertionError("network did not settle");
  }

  @Test
  void s7_aStaleRejectionWhileASnapshotIsOnItsWayDoesNotAskForASecondOne() {
    Net net = cMissed30Entries();
    RaftCore a = net.get("a");
    a.compact(a.commitIndex());
    net.cut.clear();
    List<RaftMessage.InstallSnapshot> asked = ticksUntilASnapshotIsAsked(net);
    assertThat(asked).as("a asks its driver for a snapshot for c").isNotEmpty();
    RaftMessage.InstallSnapshot sent = asked.get(0);
    // While the snapshot is on its way: more writes, and a rejection c sent before it was cut off.
    for (int i = 0; i < 10; i++) {
      a.propose(("f" + i).getBytes());
    }
    settleHoldingSnapshots(net);
    a.step(new RaftMessage.AppendResponse("c", "a", a.term(), false, 0, 0));
    settleHoldingSnapshots(net);
    // The snapshot arrives and is installed: c continues from a's log, no second snapshot needed.
    net.get("c").step(sent);
    assertThat(settleHoldingSnapshots(net)).as("snapshots asked after c installed the first").isEmpty();
    assertThat(net.get("c").commitIndex()).isEqualTo(a.commitIndex());
    assertThat(net.appliedData("c")).contains("f9");
  }

  @Test
  void s7_anySnapshotAtOrAfterTheCompactionPointLetsTheFollowerContinueFromTheLog() {
    Net net = cMissed30Entries();
    RaftCore a = net.get("a");
    long compacted = a.compact(a.commitIndex()).index();
    for (int i = 0; i < 10; i++) { // applied runs past the compaction point
      a.propose(("f" + i).getBytes());
    }
    net.settle();
    net.cut.clear();
    List<RaftMessage.InstallSnapshot> asked = ticksUntilASnapshotIsAsked(net);
    assertThat(asked).isNotEmpty();
    assertThat(asked.get(0).meta().index()).as("what c needs: the compaction point").isEqualTo(compacted);
    // The driver's checkpoint may be behind the leader's applied index (its state machine applies
    // as log writes finish): one at the compaction point is enough.
    net.get("c").step(new RaftMessage.InstallSnapshot("a", "c", a.term(), a.snapshotMetaAt(compacted)));
    assertThat(settleHoldingSnapshots(net)).as("snapshots asked after c installed one").isEmpty();
    assertThat(net.get("c").commitIndex()).isEqualTo(a.commitIndex());
    assertThat(net.appliedData("c")).contains("f9");
  }

  @Test
  void s4_membershipChangeAddsALearnerThenPromotesIt() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.get("a").propose("before".getBytes());
    net.settle();
    net.add(new RaftCore("d", OPTS, 9, HardState.EMPTY, null, List.of(), new Configuration(java.util.Set.of(), java.util.Set.of()), 0));
    net.get("a").proposeConfChange(new ConfChange(ConfChange.Type.ADD_LEARNER, "d"));
    net.settle();
    net.tickAll(2);
    assertThat(net.get("d").configuration().learners()).containsExactly("d");
    assertThat(net.appliedData("d")).containsExactly("before");
    assertThat(net.get("d").promotable()).isFalse();
    net.get("a").proposeConfChange(new ConfChange(ConfChange.Type.PROMOTE, "d"));
    net.settle();
    assertThat(net.get("a").configuration().voters()).containsExactly("a", "b", "c", "d");
    // With 4 voters, losing two of them stops commits: d really counts.
    net.cut.add("b");
    net.cut.add("d");
    long idx = net.get("a").propose("x".getBytes());
    net.settle();
    assertThat(net.get("a").commitIndex()).isLessThan(idx);
    // A change takes effect when appended (§4.1): removing c leaves {a, b, d}, of which only a is reachable.
    long removal = net.get("a").proposeConfChange(new ConfChange(ConfChange.Type.REMOVE, "c"));
    net.settle();
    assertThat(net.get("a").configuration().voters()).containsExactly("a", "b", "d");
    assertThat(net.get("a").commitIndex()).isLessThan(removal);
    // One change at a time: the next waits until this one commits.
    assertThatThrownBy(() -> net.get("a").proposeConfChange(new ConfChange(ConfChange.Type.REMOVE, "d")))
        .isInstanceOf(BusyException.class).hasMessageContaining("still uncommitted");
  }

  @Test
  void s4_2_2_aLeaderThatRemovesItselfStepsDownOnceCommitted() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.get("a").proposeConfChange(new ConfChange(ConfChange.Type.REMOVE, "a"));
    net.settle();
    assertThat(net.get("a").role()).isEqualTo(Role.FOLLOWER);
    assertThat(net.get("b").configuration().voters()).containsExactly("b", "c");
    net.tickAll(3 * OPTS.electionTicks());
    assertThat(List.of(net.get("b").role(), net.get("c").role())).contains(Role.LEADER);
    assertThat(net.get("a").role()).isEqualTo(Role.FOLLOWER);
  }

  @Test
  void s3_10_leaderTransferHandsOverWithTimeoutNow() {
    Net net = Net.of(OPTS, "a", "b", "c");
    net.elect("a");
    net.get("a").propose("x".getBytes());
    net.settle();
    net.get("a").transferLeadership("c");
    net.settle();
    assertThat(net.get("c").role()).isEqualTo(Role.LEADER);
    assertThat(net.get("a").role()).isEqualTo(Role.FOLLOWER);
    assertThatThrownBy(() -> net.get("a").propose("y".getBytes())).isInstanceOf(NotLeaderException.class)
        .satisfies(e -> assertThat(((NotLeaderException) e).leaderHint()).contains("c"));
  }

  @Test
  void backpressureFailsProposalsFastWithBusy() {
    Net net = Net.of(OPTS.withLimits(64, 1 << 20, 8, 100, 1024), "a", "b", "c");
    net.elect("a");
    net.cut.add("b");
    net.cut.add("c");
    net.get("a").propose(new byte[60]);
    assertThatThrownBy(() -> net.get("a").propose(new byte[60])).isInstanceOf(BusyException.class)
        .hasMessageContaining("uncommitted");
  }

  @Test
  void restartFromPersistedStateReappliesCommittedEntriesExactlyOnce() {
    Net net = Net.of(OPTS, "a");
    net.tick("a", 2 * OPTS.electionTicks());
    net.get("a").propose("one".getBytes());
    net.get("a").propose("two".getBytes());
    net.settle();
    RaftCore a = net.get("a");
    List<Entry> log = new java.util.ArrayList<>();
    for (long i = 1; i <= a.lastIndex(); i++) {
      log.add(new Entry(i, a.termAt(i), Entry.Type.NORMAL, ("x" + i).getBytes()));
    }
    // The state machine had applied up to index 2; entries after it come out again, once.
    RaftCore restarted = new RaftCore("a", OPTS, 5, new HardState(a.term(), "a", a.commitIndex()), null, log,
        Configuration.ofVoters("a"), 2);
    Ready r = restarted.ready();
    assertThat(r.committed()).extracting(Entry::index).containsExactly(3L);
    restarted.advance(r);
    assertThat(restarted.hasReady()).isFalse();
  }
}
