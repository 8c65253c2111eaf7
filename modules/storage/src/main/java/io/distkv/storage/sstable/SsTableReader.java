package io.distkv.storage.sstable;

import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.StorageIoException;
import io.distkv.storage.internal.ByteSource;
import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4FastDecompressor;

/**
 * Reads a table written by {@link SsTableWriter}. The index and bloom filter stay in memory; data
 * blocks go through the shared {@link BlockCache}. Every block's CRC32C is checked when it is read,
 * and a mismatch is a {@link CorruptionException} naming the file and offset. Thread-safe.
 *
 * <p>Reads for users (gets, scans: the ones that fill the block cache) copy a missing block out
 * of a read-only memory mapping of the file, made on the first such read: a page-cache hit then
 * costs no system call, where a {@code pread} per block did. Compactions, which read a table once
 * from start to end and often never touch it again, read with {@code pread}: mapping and
 * unmapping the many short-lived tables of a compaction backlog cost more (page faults on fresh
 * mappings, TLB shootdowns on unmap) than it saved (seekrandom during the backlog halved when
 * every table was mapped). Blocks handed to the cache are always heap copies, so nothing outlives
 * the mapping. {@link #close()} leaves the mapping to the garbage collector (a read may still be
 * running when a store closes); {@link #closeAndUnmap()} releases it at once and is only for a
 * table that no live version, and so no read, can reach any more (a deleted table, whose disk
 * blocks would otherwise stay allocated until a collection). A table too large for one mapping
 * (2 GiB) is read with {@code pread}.
 */
public final class SsTableReader implements AutoCloseable {
  private static final LZ4FastDecompressor LZ4 = LZ4Factory.fastestInstance().fastDecompressor();

  private final Path path;
  /** Names an index entry in errors (built once, not per lookup). */
  private final String indexEntryWhat;
  private final long fileNumber;
  private final long cacheOwner;
  private final FileChannel channel;
  /** The whole file, read-only, once a user read needed it; null before, or if too large to map in one piece. */
  private volatile java.nio.MappedByteBuffer map;
  /** Set by {@link #closeAndUnmap()}: no mapping is made after it (guarded by {@code this}). */
  private boolean unmapped;
  private final long size;
  private final BlockCache cache;
  private final Block index;
  private final BloomFilter filter;
  private final long entries;

  public SsTableReader(Path path, long fileNumber, BlockCache cache) {
    this(path, fileNumber, cache, 0);
  }

  /** A reader whose blocks are cached under {@code cacheOwner} (its store's, in a cache shared by stores). */
  public SsTableReader(Path path, long fileNumber, BlockCache cache, long cacheOwner) {
    this.path = path;
    this.indexEntryWhat = path + " index entry";
    this.fileNumber = fileNumber;
    this.cacheOwner = cacheOwner;
    this.cache = cache;
    try {
      this.channel = FileChannel.open(path, StandardOpenOption.READ);
      this.size = channel.size();
      if (size < TableFormat.FOOTER_SIZE) {
        throw new CorruptionException(path + ": file of " + size + " bytes is too short to be a table");
      }
      byte[] footerBytes = readAt(size - TableFormat.FOOTER_SIZE, TableFormat.FOOTER_SIZE, null);
      ByteSource footer = new ByteSource(footerBytes, path + " footer");
      BlockHandle filterHandle = new BlockHandle(footer.getLong(), footer.getLong());
      BlockHandle indexHandle = new BlockHandle(footer.getLong(), footer.getLong());
      this.entries = footer.getLong();
      int version = footer.getInt();
      long magic = footer.getLong();
      if (magic != TableFormat.MAGIC) {
        throw new CorruptionException(path + ": bad table magic " + Long.toHexString(magic) + " (not a dist-kv SSTable)");
      }
      if (version < TableFormat.OLDEST_READABLE_VERSION || version > TableFormat.VERSION) {
        throw new CorruptionException(path + ": unsupported table format version " + version);
      }
      this.index = new Block(readBlock(indexHandle, false), path + " index block");
      this.filter = BloomFilter.read(readBlock(filterHandle, false), version);
    } catch (IOException e) {
      throw new StorageIoException("cannot open table " + path + ": " + e.getMessage(), e);
    }
  }

  public Path path() {
    return path;
  }

  public long fileNumber() {
    return fileNumber;
  }

  public long entries() {
    return entries;
  }

  /** The mapping of the whole file, made now if need be; null if the file cannot be mapped in one piece. */
  private java.nio.MappedByteBuffer mapping() throws IOException {
    java.nio.MappedByteBuffer m = map;
    if (m != null || size > Integer.MAX_VALUE) {
      return m;
    }
    synchronized (this) {
      if (map == null && !unmapped) {
        map = channel.map(FileChannel.MapMode.READ_ONLY, 0, size);
      }
      return map;
    }
  }

  /** {@code len} bytes at {@code pos}: copied out of {@code m} if given, else read with {@code pread}. */
  private byte[] readAt(long pos, int len, java.nio.MappedByteBuffer m) throws IOException {
    if (pos < 0 || len < 0 || pos + len > size) {
      throw new CorruptionException(path + ": " + len + " bytes at offset " + pos + " run past the end of the "
          + size + "-byte file");
    }
    if (m != null) {
      byte[] out = new byte[len];
      m.get((int) pos, out, 0, len);
      return out;
    }
    ByteBuffer b = ByteBuffer.allocate(len);
    while (b.hasRemaining()) {
      int n = channel.read(b, pos + b.position());
      if (n < 0) {
        throw new CorruptionException(path + ": unexpected end of file at offset " + (pos + b.position()));
      }
    }
    return b.array();
  }

  /**
   * Reads, checks and (if needed) decompresses the block at {@code h}, out of the mapping if
   * {@code mapped} (a user read), else with {@code pread}.
   */
  private byte[] readBlock(BlockHandle h, boolean mapped) throws IOException {
    if (h.offset() < 0 || h.size() < 0 || h.size() > Integer.MAX_VALUE - 16) {
      throw new CorruptionException(path + ": bad block handle " + h);
    }
    int n = (int) h.size();
    if (h.offset() + n + TableFormat.BLOCK_TRAILER > size) {
      throw new CorruptionException(path + ": " + (n + TableFormat.BLOCK_TRAILER) + " bytes at offset " + h.offset()
          + " run past the end of the " + size + "-byte file");
    }
    java.nio.MappedByteBuffer m = mapped ? mapping() : null;
    byte[] raw;
    byte type;
    int stored;
    if (m != null) {
      // Block and trailer (type, CRC32C) apart: an uncompressed block is copied once.
      raw = readAt(h.offset(), n, m);
      int t = (int) h.offset() + n;
      type = m.get(t);
      stored = m.getInt(t + 1); // big-endian, as written
    } else {
      // One pread for block and trailer; an uncompressed block is then copied without its trailer.
      byte[] withTrailer = readAt(h.offset(), n + TableFormat.BLOCK_TRAILER, null);
      type = withTrailer[n];
      stored = Block.readInt(withTrailer, n + 1);
      raw = withTrailer;
    }
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(raw, 0, n);
    crc.update(type);
    if ((int) crc.getValue() != stored) {
      throw new CorruptionException(path + ": block checksum mismatch at offset " + h.offset() + " (" + n + " bytes)");
    }
    if (type == TableFormat.NO_COMPRESSION) {
      return raw.length == n ? raw : java.util.Arrays.copyOf(raw, n);
    }
    if (type == TableFormat.LZ4) {
      int rawLen = Block.readInt(raw, 0);
      byte[] out = new byte[rawLen];
      LZ4.decompress(raw, 4, out, 0, rawLen);
      return out;
    }
    throw new CorruptionException(path + ": unknown block compression type " + type + " at offset " + h.offset());
  }

  /** Names a data block in error messages; the text is built only if one is raised. */
  private record BlockSource(Path path, long offset) {
    @Override
    public String toString() {
      return path + " block@" + offset;
    }
  }

  /** The data block the index iterator {@code idx} points at. */
  private Block dataBlock(Block.Iter idx, boolean fillCache) {
    BlockHandle h = BlockHandle.decode(idx.blockData(), idx.valueOffset(), idx.valueLength(), indexEntryWhat);
    return cache.get(cacheOwner, fileNumber, h.offset(), k -> {
      try {
        return new Block(readBlock(h, fillCache), new BlockSource(path, h.offset()));
      } catch (IOException e) {
        throw new StorageIoException("cannot read " + path + " at offset " + h.offset() + ": " + e.getMessage(), e);
      }
    }, fillCache);
  }

  /** Whether the bloom filter admits {@code userKey}. */
  public boolean mayContain(byte[] userKey) {
    return filter.mayContain(userKey);
  }

  /**
   * The newest entry of {@code userKey} at or below the sequence in {@code seekKey}, or null.
   * Skips the table on a bloom-filter miss.
   */
  public Map.Entry<byte[], byte[]> get(byte[] seekKey, byte[] userKey) {
    if (!filter.mayContain(userKey)) {
      return null;
    }
    Block.Iter idx = index.iterator();
    idx.seek(seekKey);
    if (!idx.valid()) {
      return null;
    }
    Block.Iter it = dataBlock(idx, true).iterator();
    it.seek(seekKey);
    if (it.valid() && InternalKey.compareToUserKey(it.key(), userKey) == 0) {
      return Map.entry(it.key(), it.value());
    }
    return null;
  }

  public InternalIterator iterator() {
    return new TwoLevelIterator(true);
  }

  /** An iterator whose block reads bypass the block cache when not cached (for compactions). */
  public InternalIterator iterator(boolean fillCache) {
    return new TwoLevelIterator(fillCache);
  }

  /** Whether a user read has mapped the file (and it has not been released). */
  public boolean isMapped() {
    return map != null;
  }

  /** Closes the file; the mapping, if any, is released by the garbage collector. */
  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      // closing a read-only channel cannot lose data
    }
  }

  /**
   * Closes the file and releases its mapping now. Only for a table nothing can read any more: a
   * read of a released mapping would crash the JVM.
   */
  public void closeAndUnmap() {
    close();
    java.nio.MappedByteBuffer m;
    synchronized (this) {
      unmapped = true;
      m = map;
      map = null;
    }
    if (m != null) {
      io.distkv.storage.internal.Mappings.unmap(m);
    }
  }

  /** Index iterator over data-block iterators. */
  private final class TwoLevelIterator implements InternalIterator {
    private final Block.Iter idx = index.iterator();
    private final boolean fillCache;
    private Block.Iter data;

    TwoLevelIterator(boolean fillCache) {
      this.fillCache = fillCache;
    }

    private void openBlock() {
      data = idx.valid() ? dataBlock(idx, fillCache).iterator() : null;
    }

    private void skipEmptyForward() {
      while (data != null && !data.valid()) {
        idx.next();
        openBlock();
        if (data != null) {
          data.seekToFirst();
        }
      }
    }

    private void skipEmptyBackward() {
      while (data != null && !data.valid()) {
        idx.prev();
        openBlock();
        if (data != null) {
          data.seekToLast();
        }
      }
    }

    @Override
    public boolean valid() {
      return data != null && data.valid();
    }

    @Override
    public void seekToFirst() {
      idx.seekToFirst();
      openBlock();
      if (data != null) {
        data.seekToFirst();
      }
      skipEmptyForward();
    }

    @Override
    public void seekToLast() {
      idx.seekToLast();
      openBlock();
      if (data != null) {
        data.seekToLast();
      }
      skipEmptyBackward();
    }

    @Override
    public void seek(byte[] target) {
      idx.seek(target);
      openBlock();
      if (data != null) {
        data.seek(target);
      }
      skipEmptyForward();
    }

    @Override
    public void next() {
      data.next();
      skipEmptyForward();
    }

    @Override
    public void prev() {
      data.prev();
      skipEmptyBackward();
    }

    @Override
    public byte[] key() {
      return data.key();
    }

    @Override
    public byte[] value() {
      return data.value();
    }
  }
}
