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

  private final Path path;
  private final FileChannel channel;
  private final int blockSize;
  private final int bloomBitsPerKey;
  private final boolean compress;
  private final BlockBuilder data = new BlockBuilder(16);
  private final BlockBuilder index = new BlockBuilder(1);
  private long[] keyHashes = new long[1024];
  private int hashCount;
  private byte[] lastUserKey;
  private long offset;
  private long entries;
  private byte[] smallest;
  private byte[] largest;
  private boolean finished;

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
    if (lastUserKey == null || !Arrays.equals(lastUserKey, 0, lastUserKey.length, ikey, 0, ulen)) {
      lastUserKey = Arrays.copyOf(ikey, ulen);
      if (hashCount == keyHashes.length) {
        keyHashes = Arrays.copyOf(keyHashes, hashCount * 2);
      }
      keyHashes[hashCount++] = BloomFilter.hash(lastUserKey);
    }
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
    BlockHandle h = writeBlock(data.finish(), compress);
    index.add(last, h.encode());
    data.reset();
  }

  private BlockHandle writeBlock(byte[] contents, boolean tryCompress) throws IOException {
    byte type = TableFormat.NO_COMPRESSION;
    byte[] stored = contents;
    if (tryCompress) {
      byte[] c = new byte[4 + LZ4.maxCompressedLength(contents.length)];
      int n = LZ4.compress(contents, 0, contents.length, c, 4);
      if (n + 4 < contents.length - contents.length / 8) {
        c[0] = (byte) (contents.length >>> 24);
        c[1] = (byte) (contents.length >>> 16);
        c[2] = (byte) (contents.length >>> 8);
        c[3] = (byte) contents.length;
        stored = Arrays.copyOf(c, n + 4);
        type = TableFormat.LZ4;
      }
    }
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(stored);
    crc.update(type);
    int c = (int) crc.getValue();
    byte[] trailer = {type, (byte) (c >>> 24), (byte) (c >>> 16), (byte) (c >>> 8), (byte) c};
    BlockHandle h = new BlockHandle(offset, stored.length);
    writeFully(ByteBuffer.wrap(stored));
    writeFully(ByteBuffer.wrap(trailer));
    offset += stored.length + TableFormat.BLOCK_TRAILER;
    return h;
  }

  private void writeFully(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      channel.write(b);
    }
  }

  /** Writes filter, index and footer, fsyncs, and returns the file size. */
  public long finish() throws IOException {
    flushDataBlock();
    BlockHandle filter = writeBlock(BloomFilter.build(keyHashes, hashCount, bloomBitsPerKey), false);
    BlockHandle idx = writeBlock(index.finish(), false);
    ByteSink footer = new ByteSink(TableFormat.FOOTER_SIZE);
    footer.putLong(filter.offset()).putLong(filter.size()).putLong(idx.offset()).putLong(idx.size());
    footer.putLong(entries).putInt(TableFormat.VERSION).putLong(TableFormat.MAGIC);
    writeFully(ByteBuffer.wrap(footer.toByteArray()));
    offset += TableFormat.FOOTER_SIZE;
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
