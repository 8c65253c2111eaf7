package io.distkv.storage.sstable;

import io.distkv.storage.internal.ByteSink;
import io.distkv.storage.internal.InternalKey;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;

/**
 * Writes one immutable sorted table: data blocks, a bloom filter block, an index block and a
 * footer (docs/formats.md "SSTable"). Keys must arrive in internal-key order.
 */
public final class SsTableWriter implements AutoCloseable {
  private static final LZ4Compressor LZ4 = LZ4Factory.fastestInstance().fastCompressor();
  /** Written bytes are gathered up to this much before one write call. */
  private static final int WRITE_BUFFER = 64 * 1024;

  private final Path path;
  private final FileChannel channel;
  private final int blockSize;
  private final int bloomBitsPerKey;
  private final boolean compress;
  private final BlockBuilder data = new BlockBuilder(16);
  private final BlockBuilder index = new BlockBuilder(1);
  private long[] keyHashes = new long[1024];
  private int hashCount;
  /** The previous internal key (kept, not copied: callers never modify a key they added). */
  private byte[] lastKey;
  private long offset;
  private long entries;
  private byte[] smallest;
  private byte[] largest;
  private boolean finished;
  /** Bytes not yet handed to the channel; they start at file offset {@code offset - pending.size()}. */
  private final ByteSink pending = new ByteSink(WRITE_BUFFER + 8 * 1024);
  private final ByteSink block = new ByteSink(8 * 1024);
  private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();

  public SsTableWriter(Path path, int blockSize, int bloomBitsPerKey, boolean compress) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    this.blockSize = blockSize;
    this.bloomBitsPerKey = bloomBitsPerKey;
    this.compress = compress;
  }

  public void add(byte[] ikey, byte[] value) throws IOException {
    if (smallest == null) {
      smallest = ikey;
    }
    largest = ikey;
    entries++;
    int ulen = InternalKey.userKeyLength(ikey);
    if (lastKey == null || !Arrays.equals(lastKey, 0, lastKey.length - 8, ikey, 0, ulen)) {
      if (hashCount == keyHashes.length) {
        keyHashes = Arrays.copyOf(keyHashes, hashCount * 2);
      }
      keyHashes[hashCount++] = BloomFilter.hash(ikey, ulen);
    }
    lastKey = ikey;
    data.add(ikey, value);
    if (data.estimatedSize() >= blockSize) {
      flushDataBlock();
    }
  }

  private void flushDataBlock() throws IOException {
    if (data.isEmpty()) {
      return;
    }
    byte[] last = data.lastKey();
    block.reset();
    data.finishInto(block);
    BlockHandle h = writeBlock(block.array(), block.size(), compress);
    index.add(last, h.encode());
    data.reset();
  }

  private BlockHandle writeBlock(byte[] contents, int length, boolean tryCompress) throws IOException {
    byte type = TableFormat.NO_COMPRESSION;
    byte[] stored = contents;
    int storedLength = length;
    if (tryCompress) {
      byte[] c = new byte[4 + LZ4.maxCompressedLength(length)];
      int n = LZ4.compress(contents, 0, length, c, 4);
      if (n + 4 < length - length / 8) {
        c[0] = (byte) (length >>> 24);
        c[1] = (byte) (length >>> 16);
        c[2] = (byte) (length >>> 8);
        c[3] = (byte) length;
        stored = c;
        storedLength = n + 4;
        type = TableFormat.LZ4;
      }
    }
    crc.reset();
    crc.update(stored, 0, storedLength);
    crc.update(type);
    int c = (int) crc.getValue();
    BlockHandle h = new BlockHandle(offset, storedLength);
    pending.put(stored, 0, storedLength);
    pending.put(type);
    pending.putInt(c);
    offset += storedLength + TableFormat.BLOCK_TRAILER;
    if (pending.size() >= WRITE_BUFFER) {
      drain();
    }
    return h;
  }

  /** Hands the gathered bytes to the channel. */
  private void drain() throws IOException {
    ByteBuffer b = ByteBuffer.wrap(pending.array(), 0, pending.size());
    while (b.hasRemaining()) {
      channel.write(b);
    }
    pending.reset();
  }

  /** Writes filter, index and footer, fsyncs, and returns the file size. */
  public long finish() throws IOException {
    flushDataBlock();
    byte[] filterBytes = BloomFilter.build(keyHashes, hashCount, bloomBitsPerKey);
    BlockHandle filter = writeBlock(filterBytes, filterBytes.length, false);
    block.reset();
    index.finishInto(block);
    BlockHandle idx = writeBlock(block.array(), block.size(), false);
    pending.putLong(filter.offset()).putLong(filter.size()).putLong(idx.offset()).putLong(idx.size());
    pending.putLong(entries).putInt(TableFormat.VERSION).putLong(TableFormat.MAGIC);
    offset += TableFormat.FOOTER_SIZE;
    drain();
    channel.force(true);
    channel.close();
    finished = true;
    return offset;
  }

  public long entries() {
    return entries;
  }

  public long fileSize() {
    return offset + data.estimatedSize();
  }

  public byte[] smallest() {
    return smallest;
  }

  public byte[] largest() {
    return largest;
  }

  public Path path() {
    return path;
  }

  /** Closes without finishing (the partial file is the caller's to delete). */
  @Override
  public void close() throws IOException {
    if (!finished) {
      channel.close();
    }
  }
}
