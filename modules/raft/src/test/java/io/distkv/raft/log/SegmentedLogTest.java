package io.distkv.raft.log;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.CorruptionException;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.HardState;
import io.distkv.raft.core.SnapshotMeta;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("phase3")
class SegmentedLogTest {
  @TempDir Path dir;

  static List<Entry> entries(long from, long to, long term) {
    List<Entry> out = new ArrayList<>();
    for (long i = from; i <= to; i++) {
      out.add(Entry.normal(i, term, ("e" + i).getBytes()));
    }
    return out;
  }

  static List<Path> segments(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".raftlog")).sorted().toList();
    }
  }

  @Test
  void groupsRecoverHardStateEntriesOverwritesAndSnapshots() throws Exception {
    try (SegmentedLog log = SegmentedLog.open(dir, 1 << 20, true)) {
      log.write(List.of(
          new SegmentedLog.GroupWrite("p1", new HardState(1, "a", 0), null, entries(1, 10, 1)),
          new SegmentedLog.GroupWrite("p2", new HardState(3, null, 0), null, entries(1, 5, 3))));
      // p1: a new leader overwrites from index 8 with term 2
      log.write(List.of(new SegmentedLog.GroupWrite("p1", new HardState(2, "b", 7), null, entries(8, 12, 2))));
      log.write(List.of(new SegmentedLog.GroupWrite("p2", null,
          new SnapshotMeta(3, 3, Configuration.ofVoters("a", "b", "c")), List.of())));
      assertThat(log.fsyncs()).isGreaterThanOrEqualTo(3);
    }
    try (SegmentedLog log = SegmentedLog.open(dir, 1 << 20, true)) {
      var p1 = log.groups().get("p1");
      assertThat(p1.hardState()).isEqualTo(new HardState(2, "b", 7));
      assertThat(p1.entries()).extracting(Entry::index).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L, 11L, 12L);
      assertThat(p1.entries().get(7).term()).isEqualTo(2);
      assertThat(p1.entries().get(6).term()).isEqualTo(1);
      var p2 = log.groups().get("p2");
      assertThat(p2.snapshot().index()).isEqualTo(3);
      assertThat(p2.snapshot().configuration().voters()).containsExactly("a", "b", "c");
      assertThat(p2.entries()).extracting(Entry::index).containsExactly(4L, 5L);
      log.removeGroup("p2");
    }
    try (SegmentedLog log = SegmentedLog.open(dir, 1 << 20, true)) {
      assertThat(log.groups()).containsOnlyKeys("p1");
    }
  }

  @Test
  void compactionDeletesWholeSegmentsOnceEverySnapshotCoversThem() throws Exception {
    try (SegmentedLog log = SegmentedLog.open(dir, 4096, true)) {
      long index = 1;
      for (int round = 0; round < 50; round++) {
        log.write(List.of(
            new SegmentedLog.GroupWrite("a", new HardState(1, "x", index), null, entries(index, index + 9, 1)),
            new SegmentedLog.GroupWrite("b", new HardState(1, "x", index), null, entries(index, index + 9, 1))));
        index += 10;
      }
      int before = log.segmentCount();
      assertThat(before).isGreaterThan(5);
      SnapshotMeta upTo = new SnapshotMeta(450, 1, Configuration.ofVoters("x"));
      log.write(List.of(new SegmentedLog.GroupWrite("a", null, upTo, List.of())));
      assertThat(log.segmentCount()).isEqualTo(before); // b still needs them
      log.write(List.of(new SegmentedLog.GroupWrite("b", null, upTo, List.of())));
      assertThat(log.segmentCount()).isLessThan(before / 2);
    }
    try (SegmentedLog log = SegmentedLog.open(dir, 4096, true)) {
      for (String g : List.of("a", "b")) {
        var s = log.groups().get(g);
        assertThat(s.snapshot().index()).isEqualTo(450);
        assertThat(s.entries()).extracting(Entry::index).startsWith(451L).endsWith(500L);
        assertThat(s.hardState().commit()).isEqualTo(491);
      }
    }
  }

  @Test
  void tornTailIsTruncatedAndMidLogCorruptionIsRefused() throws Exception {
    try (SegmentedLog log = SegmentedLog.open(dir, 1 << 20, true)) {
      for (long i = 1; i <= 5; i++) {
        log.write(List.of(new SegmentedLog.GroupWrite("g", null, null, entries(i, i, 1))));
      }
    }
    Path seg = segments(dir).get(segments(dir).size() - 1);
    long size = Files.size(seg);
    try (RandomAccessFile f = new RandomAccessFile(seg.toFile(), "rw")) {
      f.setLength(size - 4); // entry 5's record loses its tail
    }
    try (SegmentedLog log = SegmentedLog.open(dir, 1 << 20, true)) {
      assertThat(log.groups().get("g").entries()).extracting(Entry::index).containsExactly(1L, 2L, 3L, 4L);
    }
    Path first = segments(dir).get(0);
    try (RandomAccessFile f = new RandomAccessFile(first.toFile(), "rw")) {
      f.seek(20);
      int v = f.read();
      f.seek(20);
      f.write(v ^ 0xFF);
    }
    assertThatThrownBy(() -> SegmentedLog.open(dir, 1 << 20, true))
        .isInstanceOf(CorruptionException.class)
        .hasMessageContaining(first.getFileName().toString())
        .hasMessageContaining("offset");
  }
}
