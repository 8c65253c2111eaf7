package io.distkv.storage.version;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.internal.InternalKey;
import io.distkv.common.io.RecordReader;
import io.distkv.common.io.RecordWriter;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The store's current {@link Version} and counters, made durable in a manifest of
 * {@link VersionEdit}s. {@code CURRENT} names the live manifest and is replaced atomically (temp
 * file, fsync, rename, fsync directory). A manifest that ends in a partial or corrupt record is
 * refused with a {@link CorruptionException}: dropping its tail could silently lose tables whose
 * WAL is already gone.
 */
public final class VersionSet {
  private static final long MANIFEST_ROLL_BYTES = 4L << 20;

  private final Path dir;
  private final AtomicLong nextFileNumber = new AtomicLong(2);
  private volatile Version current = Version.empty();
  private final List<Version> live = new ArrayList<>();
  private long logNumber;
  private volatile long lastSequence;
  private volatile long appliedIndex = -1;
  private final byte[][] compactPointers = new byte[Version.NUM_LEVELS][];
  private RecordWriter manifest;
  private long manifestNumber;

  public VersionSet(Path dir) {
    this.dir = dir;
  }

  public Version current() {
    return current;
  }

  public long newFileNumber() {
    return nextFileNumber.getAndIncrement();
  }

  /** Ensures new file numbers stay above {@code number} (files left by a crash may be unknown to the manifest). */
  public void markFileNumberUsed(long number) {
    nextFileNumber.accumulateAndGet(number + 1, Math::max);
  }

  public long nextFileNumber() {
    return nextFileNumber.get();
  }

  public synchronized long logNumber() {
    return logNumber;
  }

  public long lastSequence() {
    return lastSequence;
  }

  /** Applied index persisted with the last flush, or -1. */
  public long appliedIndex() {
    return appliedIndex;
  }

  public synchronized byte[] compactPointer(int level) {
    return compactPointers[level];
  }

  /** Reads CURRENT and replays its manifest. Returns false if the directory has no store yet. */
  public synchronized boolean recover() throws IOException {
    Path currentFile = dir.resolve(FileNames.CURRENT);
    String name;
    try {
      name = Files.readString(currentFile, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return false;
    }
    if (!name.endsWith("\n") || name.trim().isEmpty()) {
      throw new CorruptionException(currentFile + ": malformed (expected a manifest name and a newline)");
    }
    Path manifestFile = dir.resolve(name.trim());
    if (!Files.exists(manifestFile)) {
      throw new CorruptionException(currentFile + " names " + name.trim() + ", which does not exist");
    }
    RecordReader.Result r = RecordReader.readAll(manifestFile);
    if (r.hasTornTail()) {
      throw new CorruptionException(
          manifestFile + ": truncated or corrupt record at offset " + r.tornTailOffset()
              + "; refusing to open (table references after that point would be lost)");
    }
    Builder b = new Builder(Version.empty());
    boolean sawNextFile = false;
    for (byte[] rec : r.records()) {
      VersionEdit e = VersionEdit.decode(rec, manifestFile.toString());
      b.apply(e);
      if (e.logNumber != null) {
        logNumber = e.logNumber;
      }
      if (e.nextFileNumber != null) {
        nextFileNumber.set(e.nextFileNumber);
        sawNextFile = true;
      }
      if (e.lastSequence != null) {
        lastSequence = e.lastSequence;
      }
      if (e.appliedIndex != null) {
        appliedIndex = e.appliedIndex;
      }
      for (VersionEdit.CompactPointer p : e.pointers) {
        compactPointers[p.level()] = p.key();
      }
    }
    if (!sawNextFile) {
      throw new CorruptionException(manifestFile + ": no next-file-number record");
    }
    current = b.build();
    for (FileMetaData f : current.allFiles()) {
      if (!Files.exists(dir.resolve(FileNames.table(f.number())))) {
        throw new CorruptionException(manifestFile + " references missing table " + FileNames.table(f.number()));
      }
      nextFileNumber.accumulateAndGet(f.number() + 1, Math::max);
    }
    return true;
  }

  /** Applies {@code edit}, makes it durable in the manifest, then installs the new version. */
  public synchronized void logAndApply(VersionEdit edit) throws IOException {
    if (edit.logNumber == null) {
      edit.logNumber(logNumber);
    }
    edit.nextFileNumber(nextFileNumber.get());
    if (edit.lastSequence == null) {
      edit.lastSequence(lastSequence);
    }
    if (edit.appliedIndex == null) {
      edit.appliedIndex(appliedIndex);
    }
    Builder b = new Builder(current);
    b.apply(edit);
    Version next = b.build();
    if (manifest == null || manifest.size() > MANIFEST_ROLL_BYTES) {
      startNewManifest(next, edit);
    } else {
      manifest.append(edit.encode());
      manifest.sync();
    }
    logNumber = edit.logNumber;
    lastSequence = edit.lastSequence;
    appliedIndex = edit.appliedIndex;
    for (VersionEdit.CompactPointer p : edit.pointers) {
      compactPointers[p.level()] = p.key();
    }
    installVersion(next);
  }

  /** Writes a fresh manifest holding a snapshot of {@code v}, then points CURRENT at it. */
  private void startNewManifest(Version v, VersionEdit pending) throws IOException {
    long number = newFileNumber();
    Path path = dir.resolve(FileNames.manifest(number));
    RecordWriter w = new RecordWriter(path);
    VersionEdit snapshot = new VersionEdit()
        .logNumber(pending.logNumber)
        .nextFileNumber(nextFileNumber.get())
        .lastSequence(pending.lastSequence)
        .appliedIndex(pending.appliedIndex);
    for (int level = 0; level < Version.NUM_LEVELS; level++) {
      for (FileMetaData f : v.files(level)) {
        snapshot.addFile(level, f);
      }
      byte[] p = compactPointers[level];
      if (p != null) {
        snapshot.compactPointer(level, p);
      }
    }
    for (VersionEdit.CompactPointer p : pending.pointers) {
      snapshot.compactPointer(p.level(), p.key());
    }
    w.append(snapshot.encode());
    w.sync();
    writeCurrent(dir, FileNames.manifest(number));
    if (manifest != null) {
      manifest.close();
    }
    manifest = w;
    manifestNumber = number;
  }

  /** Atomically points {@code dir/CURRENT} at {@code manifestName}. */
  public static void writeCurrent(Path dir, String manifestName) throws IOException {
    Path tmp = dir.resolve(FileNames.CURRENT + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap((manifestName + "\n").getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, dir.resolve(FileNames.CURRENT), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    syncDirectory(dir);
  }

  /** fsync of a directory, so a rename or new file in it is durable. */
  public static void syncDirectory(Path dir) throws IOException {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    }
  }

  /** A pinned version with the counters that describe exactly its contents. */
  public record CheckpointState(Version version, long lastSequence, long appliedIndex, long nextFileNumber) {}

  /** Pins the current version together with its sequence and applied index, atomically. */
  public synchronized CheckpointState refCurrentState() {
    Version v = current;
    v.ref();
    return new CheckpointState(v, lastSequence, appliedIndex, nextFileNumber.get());
  }

  /** Writes a standalone manifest + CURRENT describing {@code state} into {@code target}; returns its name. */
  public String writeCheckpointManifest(Path target, CheckpointState state) throws IOException {
    long number = state.nextFileNumber();
    VersionEdit snapshot = new VersionEdit()
        .logNumber(0)
        .nextFileNumber(number + 1)
        .lastSequence(state.lastSequence())
        .appliedIndex(state.appliedIndex());
    for (int level = 0; level < Version.NUM_LEVELS; level++) {
      for (FileMetaData f : state.version().files(level)) {
        snapshot.addFile(level, f);
      }
    }
    try (RecordWriter w = new RecordWriter(target.resolve(FileNames.manifest(number)))) {
      w.append(snapshot.encode());
      w.sync();
    }
    writeCurrent(target, FileNames.manifest(number));
    return FileNames.manifest(number);
  }

  private void installVersion(Version v) {
    Version old = current;
    current = v;
    live.removeIf(x -> !x.referenced());
    if (old.referenced()) {
      live.add(old);
    }
  }

  /** Numbers of every table a live version (current or pinned by a reader) still needs. */
  public synchronized Set<Long> liveTableNumbers() {
    Set<Long> out = new HashSet<>();
    live.removeIf(x -> !x.referenced());
    for (Version v : live) {
      v.allFiles().forEach(f -> out.add(f.number()));
    }
    current.allFiles().forEach(f -> out.add(f.number()));
    return out;
  }

  /** Pins and returns the current version. */
  public synchronized Version refCurrent() {
    Version v = current;
    v.ref();
    return v;
  }

  public synchronized void setLastSequence(long seq) {
    lastSequence = seq;
  }

  public synchronized long manifestNumber() {
    return manifestNumber;
  }

  public synchronized void close() throws IOException {
    if (manifest != null) {
      manifest.close();
      manifest = null;
    }
  }

  /** Accumulates edits on top of a base version. */
  static final class Builder {
    private final List<List<FileMetaData>> levels = new ArrayList<>();

    Builder(Version base) {
      for (int i = 0; i < Version.NUM_LEVELS; i++) {
        levels.add(new ArrayList<>(base.files(i)));
      }
    }

    void apply(VersionEdit e) {
      for (VersionEdit.DeletedFile d : e.deleted) {
        levels.get(d.level()).removeIf(f -> f.number() == d.number());
      }
      for (VersionEdit.NewFile n : e.added) {
        levels.get(n.level()).removeIf(f -> f.number() == n.file().number());
        levels.get(n.level()).add(n.file());
      }
    }

    Version build() {
      Version v = new Version(levels);
      for (int level = 1; level < Version.NUM_LEVELS; level++) {
        List<FileMetaData> files = v.files(level);
        for (int i = 1; i < files.size(); i++) {
          if (InternalKey.compareUserKey(files.get(i - 1).largest(), files.get(i).smallest()) >= 0) {
            throw new CorruptionException("level " + level + " tables " + files.get(i - 1).number() + " and "
                + files.get(i).number() + " overlap");
          }
        }
      }
      return v;
    }
  }
}
