package io.distkv.server.partition;

import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.KvResult;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.error.ErrorCode;
import io.distkv.storage.LsmOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class KvStateMachineTest {
  @TempDir Path tmp;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static KvResult apply(KvStateMachine sm, long index, KvCommand cmd) {
    return KvResult.decode(sm.apply(index, cmd.encode()));
  }

  static KvCommand put(String k, String v) {
    return KvCommand.single("", 0, KvCommand.Op.put(b(k), b(v)));
  }

  @Test
  void malformedPartitionQueriesAreRefusedNamingTheProblem() throws Exception {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("q"), LsmOptions.defaults())) {
      byte[] scan = KvStateMachine.scanQuery(b("a"), b("z"), 10);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sm.query(new byte[0]))
          .isInstanceOf(io.distkv.common.error.InvalidArgumentException.class).hasMessageContaining("empty");
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sm.query(new byte[] {9, 1}))
          .isInstanceOf(io.distkv.common.error.InvalidArgumentException.class).hasMessageContaining("unknown partition query type 9");
      for (int cut = 1; cut < scan.length; cut++) {
        byte[] truncated = java.util.Arrays.copyOf(scan, cut);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> sm.query(truncated))
            .isInstanceOf(io.distkv.common.error.InvalidArgumentException.class).hasMessageContaining("partition query");
      }
      byte[] trailing = java.util.Arrays.copyOf(scan, scan.length + 1);
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sm.query(trailing))
          .isInstanceOf(io.distkv.common.error.InvalidArgumentException.class).hasMessageContaining("trailing");
    }
  }

  @Test
  void versionsCasPutIfAbsentDeleteAndAtomicBatches() {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults())) {
      assertThat(apply(sm, 1, put("k", "v1"))).isEqualTo(KvResult.ok(1));
      KvResult got = sm.get(b("k"));
      assertThat(got.version()).isEqualTo(1);
      assertThat(got.value()).isEqualTo(b("v1"));
      // compare-and-set on the version (the Raft index of the last write)
      assertThat(apply(sm, 2, KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("k"), 1, b("v2")))).code())
          .isEqualTo(ErrorCode.OK);
      KvResult conflict = apply(sm, 3, KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("k"), 1, b("v3"))));
      assertThat(conflict.code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(conflict.version()).isEqualTo(2);
      assertThat(sm.get(b("k")).value()).isEqualTo(b("v2"));
      // put-if-absent
      assertThat(apply(sm, 4, KvCommand.single("", 0, KvCommand.Op.putIfAbsent(b("k"), b("x")))).code())
          .isEqualTo(ErrorCode.ALREADY_EXISTS);
      assertThat(apply(sm, 5, KvCommand.single("", 0, KvCommand.Op.putIfAbsent(b("new"), b("x")))).code())
          .isEqualTo(ErrorCode.OK);
      // CAS with expected version 0 means "must be absent"
      assertThat(apply(sm, 6, KvCommand.single("", 0, KvCommand.Op.compareAndSet(b("fresh"), 0, b("y")))).code())
          .isEqualTo(ErrorCode.OK);
      // a batch is all or nothing
      KvCommand batch = new KvCommand("", 0, List.of(
          KvCommand.Op.put(b("a"), b("1")), KvCommand.Op.compareAndSet(b("k"), 99, b("z"))));
      assertThat(apply(sm, 7, batch).code()).isEqualTo(ErrorCode.CONFLICT);
      assertThat(sm.get(b("a")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      KvCommand good = new KvCommand("", 0, List.of(KvCommand.Op.put(b("a"), b("1")), KvCommand.Op.delete(b("new"))));
      assertThat(apply(sm, 8, good)).isEqualTo(KvResult.ok(8));
      assertThat(sm.get(b("a")).version()).isEqualTo(8);
      assertThat(sm.get(b("new")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(KvResult.decode(sm.query(KvStateMachine.getQuery(b("a")))).value()).isEqualTo(b("1"));
    }
  }

  @Test
  void incrementsAddToADecimalValueInLogOrder() {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults())) {
      KvResult first = apply(sm, 1, KvCommand.single("", 0, KvCommand.Op.increment(b("n"), 5)));
      assertThat(first.code()).isEqualTo(ErrorCode.OK);
      assertThat(first.value()).isEqualTo(b("5")); // absent counts as 0
      assertThat(apply(sm, 2, KvCommand.single("", 0, KvCommand.Op.increment(b("n"), -12))).value()).isEqualTo(b("-7"));
      assertThat(sm.get(b("n")).value()).isEqualTo(b("-7"));
      assertThat(sm.get(b("n")).version()).isEqualTo(2);
      apply(sm, 3, put("text", "abc"));
      KvResult notANumber = apply(sm, 4, KvCommand.single("", 0, KvCommand.Op.increment(b("text"), 1)));
      assertThat(notANumber.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(new String(notANumber.value(), java.nio.charset.StandardCharsets.UTF_8))
          .isEqualTo("value is not an integer or out of range");
      apply(sm, 5, put("max", Long.toString(Long.MAX_VALUE)));
      assertThat(apply(sm, 6, KvCommand.single("", 0, KvCommand.Op.increment(b("max"), 1))).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(sm.get(b("max")).value()).isEqualTo(b(Long.toString(Long.MAX_VALUE)));
      // In a batch, a refused increment refuses everything.
      KvCommand batch = new KvCommand("", 0, List.of(KvCommand.Op.put(b("x"), b("1")), KvCommand.Op.increment(b("text"), 1)));
      assertThat(apply(sm, 7, batch).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(sm.get(b("x")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      // A single delete says whether the key was there.
      assertThat(apply(sm, 8, KvCommand.single("", 0, KvCommand.Op.delete(b("n")))).value()).containsExactly(1);
      assertThat(apply(sm, 9, KvCommand.single("", 0, KvCommand.Op.delete(b("n")))).value()).containsExactly(0);
      // The kind survives the command's encoding (an old reader would refuse it as corrupt).
      assertThat(KvCommand.decode(KvCommand.single("c", 1, KvCommand.Op.increment(b("n"), 3)).encode()).ops().get(0))
          .satisfies(op -> {
            assertThat(op.kind()).isEqualTo(KvCommand.Kind.INCREMENT);
            assertThat(op.expectedVersion()).isEqualTo(3);
          });
    }
  }

  @Test
  void theLiveKeyCountFollowsEveryKindOfWriteAndSurvivesReopenAndRestore() {
    java.util.Random random = new java.util.Random(42);
    java.util.Set<String> model = new java.util.HashSet<>();
    Path dir = tmp.resolve("count");
    long index = 0;
    try (KvStateMachine sm = KvStateMachine.open(dir, LsmOptions.defaults())) {
      assertThat(sm.liveKeys()).isZero();
      for (int i = 0; i < 3000; i++) {
        String k = "k" + random.nextInt(200);
        String k2 = "k" + random.nextInt(200);
        KvCommand cmd = switch (random.nextInt(7)) {
          case 0, 1 -> put(k, "v");
          case 2 -> KvCommand.single("", 0, KvCommand.Op.delete(b(k)));
          case 3 -> KvCommand.single("", 0, KvCommand.Op.putIfAbsent(b(k), b("v")));
          case 4 -> KvCommand.single("", 0, KvCommand.Op.compareAndSet(b(k), random.nextBoolean() ? 0 : index, b("v")));
          case 5 -> KvCommand.single("", 0, KvCommand.Op.increment(b(k), 1));
          default -> new KvCommand("", 0, List.of(KvCommand.Op.put(b(k), b("1")), KvCommand.Op.delete(b(k2))));
        };
        KvResult r = apply(sm, ++index, cmd);
        if (r.code() == ErrorCode.OK) {
          for (KvCommand.Op op : cmd.ops()) {
            String key = new String(op.key(), StandardCharsets.UTF_8);
            if (op.kind() == KvCommand.Kind.DELETE) {
              model.remove(key);
            } else {
              model.add(key);
            }
          }
        }
        assertThat(sm.liveKeys()).as("after command %d", i).isEqualTo(model.size());
      }
      sm.flush();
      assertThat(sm.checkpoint(tmp.resolve("count-snap"))).isEqualTo(index);
    }
    try (KvStateMachine reopened = KvStateMachine.open(dir, LsmOptions.defaults())) {
      assertThat(reopened.liveKeys()).isEqualTo(model.size());
    }
    try (KvStateMachine other = KvStateMachine.open(tmp.resolve("count-b"), LsmOptions.defaults())) {
      apply(other, 1, put("stale", "x"));
      other.restore(index, tmp.resolve("count-snap"));
      assertThat(other.liveKeys()).isEqualTo(model.size());
    }
    // A store written before the count existed (no count key) is counted once when opened.
    Path old = tmp.resolve("old");
    try (io.distkv.storage.LsmStore raw = io.distkv.storage.LsmStore.open(old, LsmOptions.defaults())) {
      for (int i = 0; i < 50; i++) {
        raw.put(KvStateMachine.prefixed(KvStateMachine.DATA, b("o" + i)), new byte[8]);
      }
      raw.delete(KvStateMachine.prefixed(KvStateMachine.DATA, b("o7")));
      raw.put(KvStateMachine.SWEEP_KEY, new byte[8]);
    }
    try (KvStateMachine sm = KvStateMachine.open(old, LsmOptions.defaults())) {
      assertThat(sm.liveKeys()).isEqualTo(49);
      apply(sm, 1, put("o7", "back"));
      assertThat(sm.liveKeys()).isEqualTo(50);
    }
  }

  @Test
  void aRetriedWriteOfTheSameSessionAppliesOnceAndGetsTheSameAnswer() {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults())) {
      KvCommand first = KvCommand.single("client-1", 7, KvCommand.Op.put(b("a"), b("one")));
      assertThat(apply(sm, 10, first)).isEqualTo(KvResult.ok(10));
      apply(sm, 11, put("a", "other-writer"));
      // The client's reply was lost; it retries the same (client, sequence): committed again at 12.
      KvCommand retry = KvCommand.single("client-1", 7, KvCommand.Op.put(b("a"), b("one")));
      assertThat(apply(sm, 12, retry)).isEqualTo(KvResult.ok(10));
      assertThat(sm.get(b("a")).value()).isEqualTo(b("other-writer"));
      assertThat(sm.lastApplied()).isEqualTo(12);
      assertThat(apply(sm, 13, KvCommand.single("client-1", 6, KvCommand.Op.put(b("a"), b("old")))).code())
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(apply(sm, 14, KvCommand.single("client-1", 8, KvCommand.Op.put(b("a"), b("two")))).version()).isEqualTo(14);
    }
  }

  @Test
  void afterACrashOnlyFlushedEntriesSurviveAndReplayRebuildsTheSameState() throws Exception {
    Path dir = tmp.resolve("p");
    Path image = tmp.resolve("crash-image");
    try (KvStateMachine sm = KvStateMachine.open(dir, LsmOptions.defaults())) {
      for (long i = 1; i <= 5; i++) {
        apply(sm, i, KvCommand.single("c", i, KvCommand.Op.put(b("k" + i), b("v" + i))));
      }
      sm.flush();
      for (long i = 6; i <= 10; i++) {
        apply(sm, i, KvCommand.single("c", i, KvCommand.Op.put(b("k" + i), b("v" + i))));
      }
      // The WAL is off: the crash image (files as they are now) has only the flushed part.
      Files.createDirectories(image);
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(f -> !f.getFileName().toString().equals("LOCK")).toList()) {
          Files.copy(f, image.resolve(f.getFileName()));
        }
      }
    }
    try (KvStateMachine sm = KvStateMachine.open(image, LsmOptions.defaults())) {
      assertThat(sm.appliedIndex()).isEqualTo(5);
      assertThat(sm.get(b("k5")).value()).isEqualTo(b("v5"));
      assertThat(sm.get(b("k6")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      for (long i = 6; i <= 10; i++) { // Raft replays the entries after appliedIndex()
        apply(sm, i, KvCommand.single("c", i, KvCommand.Op.put(b("k" + i), b("v" + i))));
      }
      for (long i = 1; i <= 10; i++) {
        assertThat(sm.get(b("k" + i)).version()).isEqualTo(i);
      }
    }
  }

  @Test
  void checkpointRestoresTheSameStateElsewhereAndSurvivesReopen() {
    Path snapshot = tmp.resolve("snap");
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("a"), LsmOptions.defaults())) {
      for (long i = 1; i <= 100; i++) {
        apply(sm, i, put("k" + i, "v" + i));
      }
      assertThat(sm.checkpoint(snapshot)).isEqualTo(100);
      apply(sm, 101, put("later", "not in the checkpoint"));
    }
    try (KvStateMachine other = KvStateMachine.open(tmp.resolve("b"), LsmOptions.defaults())) {
      apply(other, 1, put("stale", "x"));
      other.restore(100, snapshot);
      assertThat(other.get(b("k77")).value()).isEqualTo(b("v77"));
      assertThat(other.get(b("stale")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(other.get(b("later")).code()).isEqualTo(ErrorCode.NOT_FOUND);
      assertThat(other.appliedIndex()).isEqualTo(100);
      assertThat(other.lastApplied()).isEqualTo(100);
    }
    assertThat(snapshot).as("the source stays whole until the caller drops it").isDirectoryContaining("glob:**/CURRENT");
    try (KvStateMachine reopened = KvStateMachine.open(tmp.resolve("b"), LsmOptions.defaults())) {
      assertThat(reopened.appliedIndex()).isEqualTo(100);
      assertThat(reopened.get(b("k1")).value()).isEqualTo(b("v1"));
    }
  }

  @Test
  void aBackupCheckpointQueryTakesItBesideThePartitionsAndAgainWhenRetried() throws Exception {
    Path store = tmp.resolve("data").resolve("partitions").resolve("p3");
    try (KvStateMachine sm = KvStateMachine.open(store, LsmOptions.defaults())) {
      for (long i = 1; i <= 50; i++) {
        apply(sm, i, put("k" + i, "v" + i));
      }
      Path target = tmp.resolve("data").resolve("backups").resolve("b-1").resolve("p3");
      assertThat(KvStateMachine.backupCheckpointDir(store, "b-1")).isEqualTo(target);
      assertThat(java.nio.ByteBuffer.wrap(sm.query(KvStateMachine.checkpointQuery("b-1"))).getLong()).isEqualTo(50);
      apply(sm, 51, put("later", "x"));
      assertThat(java.nio.ByteBuffer.wrap(sm.query(KvStateMachine.checkpointQuery("b-1"))).getLong())
          .as("a retried checkpoint replaces the earlier one").isEqualTo(51);
      try (KvStateMachine copy = KvStateMachine.open(target, LsmOptions.defaults())) {
        assertThat(copy.appliedIndex()).isEqualTo(51);
        assertThat(copy.get(b("later")).value()).isEqualTo(b("x"));
      }
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> sm.query(KvStateMachine.checkpointQuery("../escape")))
          .isInstanceOf(io.distkv.common.error.InvalidArgumentException.class).hasMessageContaining("invalid backup id");
    }
  }

  @Test
  void readsFromAnotherThreadNeverFailWhileSnapshotsAreInstalled() throws Exception {
    Path snapshot = tmp.resolve("snap");
    try (KvStateMachine source = KvStateMachine.open(tmp.resolve("a"), LsmOptions.defaults())) {
      for (long i = 1; i <= 50; i++) {
        apply(source, i, put("k" + i, "v" + i));
      }
      source.checkpoint(snapshot);
    }
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("b"), LsmOptions.defaults())) {
      apply(sm, 1, put("k1", "v1"));
      java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
      java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
      java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
      Thread reader = new Thread(() -> { // as a router serving eventual reads
        while (!stop.get()) {
          try {
            assertThat(sm.get(b("k1")).value()).isEqualTo(b("v1"));
            sm.scan(null, null, 10);
            reads.incrementAndGet();
          } catch (Throwable t) {
            failed.compareAndSet(null, t);
          }
        }
      });
      reader.start();
      for (int round = 0; round < 20; round++) {
        Path copy = tmp.resolve("copy-" + round);
        try (java.util.stream.Stream<Path> files = Files.list(snapshot)) {
          Files.createDirectories(copy);
          for (Path f : files.toList()) {
            Files.copy(f, copy.resolve(f.getFileName()));
          }
        }
        sm.restore(50, copy);
      }
      stop.set(true);
      reader.join();
      assertThat(failed.get()).as("a read during a restore").isNull();
      assertThat(reads.get()).isPositive();
    }
  }

  @Test
  void aRestoreCutShortReopensEmptySoTheReplicaRestoresAgain() throws Exception {
    Path store = tmp.resolve("p");
    try (KvStateMachine sm = KvStateMachine.open(store, LsmOptions.defaults())) {
      apply(sm, 1, put("old", "x"));
      sm.flush();
    }
    // As a crash would leave it: the marker written, the old store half gone.
    Files.write(KvStateMachine.restoringMarker(store), new byte[0]);
    try (java.util.stream.Stream<Path> files = Files.list(store)) {
      Files.delete(files.filter(f -> f.getFileName().toString().equals("CURRENT")).findFirst().orElseThrow());
    }
    try (KvStateMachine sm = KvStateMachine.open(store, LsmOptions.defaults())) {
      assertThat(sm.appliedIndex()).isZero();
      assertThat(sm.get(b("old")).code()).isEqualTo(ErrorCode.NOT_FOUND);
    }
    assertThat(KvStateMachine.restoringMarker(store)).doesNotExist();
  }

  @Test
  void writesOfOneClientInFlightTogetherApplyOnceInAnyOrder() {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults())) {
      // Sequences 1..3 are in flight at once (first unacknowledged = 1); Raft commits 3 before 1 and 2.
      assertThat(apply(sm, 10, new KvCommand("c", 3, 1, List.of(KvCommand.Op.put(b("x"), b("3"))))).version()).isEqualTo(10);
      assertThat(apply(sm, 11, new KvCommand("c", 1, 1, List.of(KvCommand.Op.put(b("y"), b("1"))))).version()).isEqualTo(11);
      assertThat(apply(sm, 12, new KvCommand("c", 2, 1, List.of(KvCommand.Op.put(b("z"), b("2"))))).version()).isEqualTo(12);
      // Retries of each answer what the first apply answered, and write nothing.
      assertThat(apply(sm, 13, new KvCommand("c", 1, 1, List.of(KvCommand.Op.put(b("y"), b("1"))))).version()).isEqualTo(11);
      assertThat(apply(sm, 14, new KvCommand("c", 3, 1, List.of(KvCommand.Op.put(b("x"), b("3"))))).version()).isEqualTo(10);
      assertThat(sm.get(b("x")).version()).isEqualTo(10);
      // The client has had replies for 1..3: sequence 4 says so, and 1..3 are forgotten (stale, not re-applied).
      assertThat(apply(sm, 15, new KvCommand("c", 4, 4, List.of(KvCommand.Op.put(b("x"), b("4"))))).version()).isEqualTo(15);
      KvResult stale = apply(sm, 16, new KvCommand("c", 2, 2, List.of(KvCommand.Op.put(b("z"), b("again")))));
      assertThat(stale.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(new String(stale.value(), StandardCharsets.UTF_8)).contains("already acknowledged");
      assertThat(sm.get(b("z")).value()).isEqualTo(b("2"));
    }
  }

  @Test
  void sessionsSurviveReopenAndSnapshots() {
    Path snapshot = tmp.resolve("snap");
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("a"), LsmOptions.defaults())) {
      apply(sm, 1, new KvCommand("c", 5, 5, List.of(KvCommand.Op.put(b("k"), b("v")))));
      sm.checkpoint(snapshot);
    }
    try (KvStateMachine other = KvStateMachine.open(tmp.resolve("b"), LsmOptions.defaults())) {
      other.restore(1, snapshot);
      assertThat(apply(other, 2, new KvCommand("c", 5, 5, List.of(KvCommand.Op.put(b("k"), b("v")))))).isEqualTo(KvResult.ok(1));
      assertThat(other.get(b("k")).version()).isEqualTo(1);
    }
  }

  @Test
  void partitionScanReturnsLiveKeysInOrderWithinBoundsAndLimit() {
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults())) {
      long index = 0;
      for (String k : List.of("b", "a", "d", "c", "e")) {
        apply(sm, ++index, put(k, "v-" + k));
      }
      apply(sm, ++index, KvCommand.single("", 0, KvCommand.Op.delete(b("c"))));
      apply(sm, ++index, KvCommand.single("session", 1, KvCommand.Op.put(b("f"), b("v-f")))); // session records are not data
      io.distkv.common.protocol.ClientProtocol.ScanPart all = KvStateMachine.decodeScanPart(sm.query(KvStateMachine.scanQuery(null, null, 100)));
      assertThat(all.entries()).extracting(e -> new String(e.key(), StandardCharsets.UTF_8)).containsExactly("a", "b", "d", "e", "f");
      assertThat(all.entries().get(0).value()).isEqualTo(b("v-a"));
      assertThat(all.entries().get(0).version()).isEqualTo(2);
      assertThat(all.more()).isFalse();
      io.distkv.common.protocol.ClientProtocol.ScanPart page = KvStateMachine.decodeScanPart(sm.query(KvStateMachine.scanQuery(b("b"), b("f"), 2)));
      assertThat(page.entries()).extracting(e -> new String(e.key(), StandardCharsets.UTF_8)).containsExactly("b", "d");
      assertThat(page.more()).isTrue();
      assertThat(sm.scan(b("e"), b("f"), 5).entries()).hasSize(1);
      assertThat(sm.scan(b("e"), b("f"), 5).more()).isFalse();
    }
  }

  @Test
  void sessionsIdleLongerThanTheTtlAreSweptByTheEntriesClock() {
    long t0 = 1_700_000_000_000L;
    long minute = 60_000;
    try (KvStateMachine sm = KvStateMachine.open(tmp.resolve("p"), LsmOptions.defaults(), java.time.Duration.ofMinutes(10))) {
      KvCommand idle = new KvCommand("idle", 1, 1, List.of(KvCommand.Op.put(b("a"), b("1"))), t0);
      assertThat(apply(sm, 1, idle).version()).isEqualTo(1);
      long index = 1;
      // Another client keeps writing for 20 minutes of proposal time, past a sweep point.
      while (index < KvStateMachine.SWEEP_EVERY + 10) {
        index++;
        long at = t0 + 20 * minute * index / (KvStateMachine.SWEEP_EVERY + 10);
        apply(sm, index, new KvCommand("busy", index, index, List.of(KvCommand.Op.put(b("b"), b("x"))), at));
      }
      // The busy session survives: its retry is still answered from the session.
      long busySeq = index;
      assertThat(apply(sm, ++index, new KvCommand("busy", busySeq, busySeq, List.of(KvCommand.Op.put(b("b"), b("x"))),
          t0 + 21 * minute)).version()).isEqualTo(busySeq);
      // The idle one is gone: a retry of its old write is applied as new (its dedup window ended).
      assertThat(apply(sm, ++index, idle.proposedAt(t0 + 21 * minute)).version()).isEqualTo(index);
    }
  }
}
