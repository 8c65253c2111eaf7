package io.distkv.raft.log;

import io.distkv.common.error.CorruptionException;
import io.distkv.common.io.RecordReader;
import io.distkv.common.io.RecordWriter;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.HardState;
import io.distkv.raft.core.SnapshotMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * The Raft log of every group on a node, in one sequence of segment files (like TiKV's
 * raft-engine): each {@link #write} appends the records of many groups as one write and one
 * fsync, which is what lets {@link NodeLogWriter} group-commit across partitions. Records are
 * checksummed (the common record framing, docs/formats.md); recovery truncates a torn tail of the
 * last segment and refuses corruption anywhere else, naming file and offset. A segment is deleted
 * once every entry in it is covered by its group's snapshot; each new segment starts with the
 * hard state and snapshot point of every group, so older segments hold nothing else that is
 * needed. Not thread-safe: its owner (the writer actor) serializes calls.
 */
public final class SegmentedLog implements AutoCloseable {
  private static final byte ENTRIES = 1;
  private static final byte HARD_STATE = 2;
  private static final byte SNAPSHOT = 3;
  private static final byte REMOVE_GROUP = 4;

  /** What one group wants made durable: any of hard state, snapshot point, entries (overwrite from the first). */
  public record GroupWrite(String group, HardState hardState, SnapshotMeta snapshot, List<Entry> entries) {
    public GroupWrite {
      entries = entries == null ? List.of() : entries;
    }
  }

  /** A group's durable state as recovered. */
  public record GroupState(HardState hardState, SnapshotMeta snapshot, List<Entry> entries) {}

  private static final class Group {
    HardState hardState = HardState.EMPTY;
    SnapshotMeta snapshot;
    final TreeMap<Long, Entry> entries = new TreeMap<>();

    long compactedTo() {
      return snapshot == null ? 0 : snapshot.index();
    }
  }

  private static final class Segment {
    final long number;
    final Path path;
    final Map<String, Long> maxIndex = new HashMap<>();

    Segment(long number, Path path) {
      this.number = number;
      this.path = path;
    }
  }

  private final Path dir;
  private final long segmentBytes;
  private final boolean fsync;
  private final Map<String, Group> groups = new TreeMap<>();
  private final TreeMap<Long, Segment> segments = new TreeMap<>();
  private RecordWriter active;
  private long fsyncs;
  private long bytesWritten;

  private SegmentedLog(Path dir, long segmentBytes, boolean fsync) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.fsync = fsync;
  }

  /** Opens (creating if needed) the log in {@code dir} and recovers every group from it. */
  public static SegmentedLog open(Path dir, long segmentBytes, boolean fsync) throws IOException {
    Files.createDirectories(dir);
    SegmentedLog log = new SegmentedLog(dir, segmentBytes, fsync);
    log.recover();
    return log;
  }

  private static String segmentName(long n) {
    return String.format("%08d.raftlog", n);
  }

  private void recover() throws IOException {
    List<Long> numbers = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".raftlog"))
          .forEach(n -> numbers.add(Long.parseLong(n.substring(0, n.length() - 8))));
    }
    numbers.sort(null);
    for (int i = 0; i < numbers.size(); i++) {
      long n = numbers.get(i);
      Path path = dir.resolve(segmentName(n));
      Segment seg = new Segment(n, path);
      segments.put(n, seg);
      RecordReader.Result r = RecordReader.read(path, rec -> replay(rec, seg, path));
      if (r.hasTornTail()) {
        if (i != numbers.size() - 1) {
          throw new CorruptionException(path + ": truncated or corrupt record at offset " + r.tornTailOffset()
              + " in a segment that is not the last");
        }
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
          ch.truncate(r.validLength());
          ch.force(true);
        }
      }
    }
    long next = numbers.isEmpty() ? 1 : numbers.get(numbers.size() - 1) + 1;
    startSegment(next);
  }

  private void replay(byte[] rec, Segment seg, Path path) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(rec));
      byte type = in.readByte();
      String group = in.readUTF();
      switch (type) {
        case ENTRIES -> {
          Group g = groups.computeIfAbsent(group, k -> new Group());
          int n = in.readInt();
          for (int i = 0; i < n; i++) {
            long index = in.readLong();
            long term = in.readLong();
            Entry.Type t = Entry.Type.values()[in.readByte()];
            byte[] data = new byte[in.readInt()];
            in.readFully(data);
            if (i == 0) {
              g.entries.tailMap(index, true).clear(); // a new append overwrites from its first index
            }
            if (index > g.compactedTo()) {
              g.entries.put(index, new Entry(index, term, t, data));
            }
            seg.maxIndex.merge(group, index, Math::max);
          }
        }
        case HARD_STATE -> {
          Group g = groups.computeIfAbsent(group, k -> new Group());
          long term = in.readLong();
          String vote = in.readBoolean() ? in.readUTF() : null;
          g.hardState = new HardState(term, vote, in.readLong());
        }
        case SNAPSHOT -> {
          Group g = groups.computeIfAbsent(group, k -> new Group());
          long index = in.readLong();
          long term = in.readLong();
          byte[] conf = new byte[in.readInt()];
          in.readFully(conf);
          applySnapshot(g, new SnapshotMeta(index, term, Configuration.decode(conf)));
        }
        case REMOVE_GROUP -> groups.remove(group);
        default -> throw new CorruptionException(path + ": unknown record type " + type);
      }
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      throw new CorruptionException(path + ": malformed record: " + e);
    }
  }

  private static void applySnapshot(Group g, SnapshotMeta meta) {
    if (g.snapshot == null || meta.index() >= g.snapshot.index()) {
      g.snapshot = meta;
      g.entries.headMap(meta.index(), true).clear();
    }
  }

  /** Every group's recovered state. */
  public Map<String, GroupState> groups() {
    Map<String, GroupState> out = new TreeMap<>();
    groups.forEach((k, g) -> out.put(k, new GroupState(g.hardState, g.snapshot, List.copyOf(g.entries.values()))));
    return out;
  }

  /** Framed records gathered for one write system call hold at most about this many bytes. */
  static final int GATHER_BYTES = 4 << 20;

  /**
   * Appends every write's records, then one fsync (if enabled). Each group's entries are framed
   * in one array of their exact size (one copy, never one of the whole round), and the framed
   * records go down with gathering writes of up to {@link #GATHER_BYTES}: usually one system call
   * per round.
   */
  public void write(List<GroupWrite> writes) throws IOException {
    List<java.nio.ByteBuffer> gathered = new ArrayList<>();
    long gatheredBytes = 0;
    long written = 0;
    Segment seg = segments.lastEntry().getValue();
    for (GroupWrite w : writes) {
      Group g = groups.computeIfAbsent(w.group(), k -> new Group());
      ByteArrayOutputStream small = new ByteArrayOutputStream();
      if (w.snapshot() != null) {
        frame(small, encodeSnapshot(w.group(), w.snapshot()));
        applySnapshot(g, w.snapshot());
      }
      if (small.size() > 0) {
        gathered.add(java.nio.ByteBuffer.wrap(small.toByteArray()));
        gatheredBytes += small.size();
        small.reset();
      }
      if (!w.entries().isEmpty()) {
        byte[] framed = framedEntries(w.group(), w.entries());
        gathered.add(java.nio.ByteBuffer.wrap(framed));
        gatheredBytes += framed.length;
        long last = w.entries().get(w.entries().size() - 1).index();
        seg.maxIndex.merge(w.group(), last, Math::max);
      }
      if (w.hardState() != null) {
        frame(small, encodeHardState(w.group(), w.hardState()));
        gathered.add(java.nio.ByteBuffer.wrap(small.toByteArray()));
        gatheredBytes += small.size();
        g.hardState = w.hardState();
      }
      if (gatheredBytes >= GATHER_BYTES) {
        active.appendRaw(gathered.toArray(new java.nio.ByteBuffer[0]));
        written += gatheredBytes;
        gathered.clear();
        gatheredBytes = 0;
      }
    }
    if (!gathered.isEmpty()) {
      active.appendRaw(gathered.toArray(new java.nio.ByteBuffer[0]));
      written += gatheredBytes;
    }
    syncWritten(written);
    if (active.size() >= segmentBytes) {
      startSegment(seg.number + 1);
    }
    deleteObsoleteSegments();
  }

  /** Forgets a group entirely (its replica was removed from this node). */
  public void removeGroup(String group) throws IOException {
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    frame(batch, header(REMOVE_GROUP, group).toByteArray());
    appendFramed(batch.toByteArray());
    groups.remove(group);
    deleteObsoleteSegments();
  }

  private void appendFramed(byte[] framed) throws IOException {
    syncWritten(writeRaw(framed));
  }

  /** Writes already-framed records (not yet durable). */
  private long writeRaw(byte[] framed) throws IOException {
    active.appendRaw(framed);
    return framed.length;
  }

  private void syncWritten(long written) throws IOException {
    bytesWritten += written;
    if (fsync) {
      active.sync();
      fsyncs++;
    }
  }

  private static void frame(ByteArrayOutputStream out, byte[] payload) {
    byte[] framed = RecordWriter.frame(payload);
    out.write(framed, 0, framed.length);
  }

  private void startSegment(long number) throws IOException {
    if (active != null) {
      active.sync();
      active.close();
    }
    Path path = dir.resolve(segmentName(number));
    active = new RecordWriter(path);
    segments.put(number, new Segment(number, path));
    // Carry every group's hard state and snapshot point forward, so older segments only matter
    // for the entries they hold.
    ByteArrayOutputStream batch = new ByteArrayOutputStream();
    for (Map.Entry<String, Group> e : groups.entrySet()) {
      if (e.getValue().snapshot != null) {
        frame(batch, encodeSnapshot(e.getKey(), e.getValue().snapshot));
      }
      frame(batch, encodeHardState(e.getKey(), e.getValue().hardState));
    }
    active.appendRaw(batch.toByteArray());
    active.sync();
    fsyncs++;
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
  }

  private void deleteObsoleteSegments() throws IOException {
    long activeNumber = segments.lastKey();
    for (var it = segments.entrySet().iterator(); it.hasNext(); ) {
      Segment s = it.next().getValue();
      if (s.number == activeNumber) {
        break;
      }
      boolean needed = false;
      for (Map.Entry<String, Long> e : s.maxIndex.entrySet()) {
        Group g = groups.get(e.getKey());
        if (g != null && e.getValue() > g.compactedTo()) {
          needed = true;
          break;
        }
      }
      if (needed) {
        break; // keep order: only a prefix of segments is ever deleted
      }
      Files.deleteIfExists(s.path);
      it.remove();
    }
  }

  private static DataOutputStream header(byte type, String group, ByteArrayOutputStream bytes) throws IOException {
    DataOutputStream out = new DataOutputStream(bytes);
    out.writeByte(type);
    out.writeUTF(group);
    return out;
  }

  private static ByteArrayOutputStream header(byte type, String group) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      header(type, group, bytes);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return bytes;
  }

  /** One framed ENTRIES record, encoded straight into an array of its exact size. */
  private static byte[] framedEntries(String group, List<Entry> entries) {
    byte[] groupName = header(ENTRIES, group).toByteArray(); // type byte + the group as DataOutput.writeUTF writes it
    long size = groupName.length + 4;
    for (Entry e : entries) {
      size += 8 + 8 + 1 + 4 + e.data().length;
    }
    if (size > Integer.MAX_VALUE - RecordWriter.HEADER) {
      throw new IllegalArgumentException("a write of " + entries.size() + " entries of " + group + " is " + size
          + " bytes, too large for one log record");
    }
    byte[] out = new byte[RecordWriter.HEADER + (int) size];
    java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(out, RecordWriter.HEADER, (int) size);
    b.put(groupName);
    b.putInt(entries.size());
    for (Entry e : entries) {
      b.putLong(e.index());
      b.putLong(e.term());
      b.put((byte) e.type().ordinal());
      b.putInt(e.data().length);
      b.put(e.data());
    }
    RecordWriter.writeHeader(out, 0, (int) size, new java.util.zip.CRC32C());
    return out;
  }

  private static byte[] encodeHardState(String group, HardState hs) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = header(HARD_STATE, group, bytes);
      out.writeLong(hs.term());
      out.writeBoolean(hs.votedFor() != null);
      if (hs.votedFor() != null) {
        out.writeUTF(hs.votedFor());
      }
      out.writeLong(hs.commit());
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] encodeSnapshot(String group, SnapshotMeta meta) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = header(SNAPSHOT, group, bytes);
      out.writeLong(meta.index());
      out.writeLong(meta.term());
      byte[] conf = meta.configuration().encode();
      out.writeInt(conf.length);
      out.write(conf);
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public long fsyncs() {
    return fsyncs;
  }

  public long bytesWritten() {
    return bytesWritten;
  }

  public int segmentCount() {
    return segments.size();
  }

  @Override
  public void close() throws IOException {
    if (active != null) {
      active.sync();
      active.close();
      active = null;
    }
  }
}
