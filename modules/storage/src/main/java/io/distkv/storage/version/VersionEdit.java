package io.distkv.storage.version;

import io.distkv.common.error.CorruptionException;
import io.distkv.storage.internal.ByteSink;
import io.distkv.storage.internal.ByteSource;
import java.util.ArrayList;
import java.util.List;

/**
 * A change to the set of live tables and store counters, as recorded in the manifest
 * (docs/formats.md "Manifest"). Fields are tagged so that unknown future tags fail loudly.
 */
public final class VersionEdit {
  private static final int TAG_LOG_NUMBER = 2;
  private static final int TAG_NEXT_FILE = 3;
  private static final int TAG_LAST_SEQUENCE = 4;
  private static final int TAG_APPLIED_INDEX = 5;
  private static final int TAG_DELETED_FILE = 6;
  private static final int TAG_NEW_FILE = 7;
  private static final int TAG_COMPACT_POINTER = 8;

  public record NewFile(int level, FileMetaData file) {}

  public record DeletedFile(int level, long number) {}

  public record CompactPointer(int level, byte[] key) {}

  Long logNumber;
  Long nextFileNumber;
  Long lastSequence;
  Long appliedIndex;
  final List<DeletedFile> deleted = new ArrayList<>();
  final List<NewFile> added = new ArrayList<>();
  final List<CompactPointer> pointers = new ArrayList<>();

  public VersionEdit logNumber(long n) {
    logNumber = n;
    return this;
  }

  public VersionEdit nextFileNumber(long n) {
    nextFileNumber = n;
    return this;
  }

  public VersionEdit lastSequence(long n) {
    lastSequence = n;
    return this;
  }

  public VersionEdit appliedIndex(long n) {
    appliedIndex = n;
    return this;
  }

  public VersionEdit deleteFile(int level, long number) {
    deleted.add(new DeletedFile(level, number));
    return this;
  }

  public VersionEdit addFile(int level, FileMetaData f) {
    added.add(new NewFile(level, f));
    return this;
  }

  public VersionEdit compactPointer(int level, byte[] key) {
    pointers.add(new CompactPointer(level, key));
    return this;
  }

  public List<NewFile> added() {
    return added;
  }

  public List<DeletedFile> deleted() {
    return deleted;
  }

  public byte[] encode() {
    ByteSink out = new ByteSink(128);
    if (logNumber != null) {
      out.putVarint(TAG_LOG_NUMBER).putVarint(logNumber);
    }
    if (nextFileNumber != null) {
      out.putVarint(TAG_NEXT_FILE).putVarint(nextFileNumber);
    }
    if (lastSequence != null) {
      out.putVarint(TAG_LAST_SEQUENCE).putVarint(lastSequence);
    }
    if (appliedIndex != null) {
      out.putVarint(TAG_APPLIED_INDEX).putVarint(appliedIndex + 1);
    }
    for (CompactPointer p : pointers) {
      out.putVarint(TAG_COMPACT_POINTER).putVarint(p.level()).putBytes(p.key());
    }
    for (DeletedFile d : deleted) {
      out.putVarint(TAG_DELETED_FILE).putVarint(d.level()).putVarint(d.number());
    }
    for (NewFile n : added) {
      FileMetaData f = n.file();
      out.putVarint(TAG_NEW_FILE).putVarint(n.level()).putVarint(f.number()).putVarint(f.size()).putVarint(f.entries());
      out.putBytes(f.smallest()).putBytes(f.largest());
    }
    return out.toByteArray();
  }

  public static VersionEdit decode(byte[] bytes, String what) {
    ByteSource in = new ByteSource(bytes, what);
    VersionEdit e = new VersionEdit();
    while (in.hasRemaining()) {
      int tag = in.getVarint32();
      switch (tag) {
        case TAG_LOG_NUMBER -> e.logNumber = in.getVarint();
        case TAG_NEXT_FILE -> e.nextFileNumber = in.getVarint();
        case TAG_LAST_SEQUENCE -> e.lastSequence = in.getVarint();
        case TAG_APPLIED_INDEX -> e.appliedIndex = in.getVarint() - 1;
        case TAG_COMPACT_POINTER -> e.pointers.add(new CompactPointer(level(in, what), in.getBytes()));
        case TAG_DELETED_FILE -> e.deleted.add(new DeletedFile(level(in, what), in.getVarint()));
        case TAG_NEW_FILE -> {
          int level = level(in, what);
          long number = in.getVarint();
          long size = in.getVarint();
          long entries = in.getVarint();
          e.added.add(new NewFile(level, new FileMetaData(number, size, entries, in.getBytes(), in.getBytes())));
        }
        default -> throw new CorruptionException(what + ": unknown version edit tag " + tag);
      }
    }
    return e;
  }

  private static int level(ByteSource in, String what) {
    int level = in.getVarint32();
    if (level >= Version.NUM_LEVELS) {
      throw new CorruptionException(what + ": level " + level + " out of range");
    }
    return level;
  }
}
