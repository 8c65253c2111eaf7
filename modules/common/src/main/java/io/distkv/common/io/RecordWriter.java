package io.distkv.common.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * Appends checksummed records to a log file (the WAL and the manifest share this framing, see
 * docs/formats.md "Record log"): {@code [length u32][crc32c u32 over length+payload][payload]}.
 * Not thread-safe; callers serialize.
 */
public final class RecordWriter implements AutoCloseable {
  public static final int HEADER = 8;
  private final Path path;
  private final FileChannel channel;
  private long size;

  public RecordWriter(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    this.size = channel.size();
    channel.position(size);
  }

  public Path path() {
    return path;
  }

  public long size() {
    return size;
  }

  /** The framed form of one record: header + payload, ready for {@link #appendRaw}. */
  public static byte[] frame(byte[] payload) {
    return frame(payload, 0, payload.length);
  }

  private static byte[] frame(byte[] payload, int off, int len) {
    byte[] out = new byte[HEADER + len];
    System.arraycopy(payload, off, out, HEADER, len);
    writeHeader(out, 0, len, new CRC32C());
    return out;
  }

  /**
   * Fills in the header of the record whose payload already sits at
   * {@code buf[start + HEADER, start + HEADER + len)}: length, then the CRC32C of length and payload.
   */
  public static void writeHeader(byte[] buf, int start, int len, CRC32C crc) {
    putInt(buf, start, len);
    crc.reset();
    crc.update(buf, start, 4);
    crc.update(buf, start + HEADER, len);
    putInt(buf, start + 4, (int) crc.getValue());
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  /** Appends bytes that are already framed records (several records, one write). */
  public void appendRaw(byte[] framed) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(framed);
    while (b.hasRemaining()) {
      channel.write(b);
    }
    size += framed.length;
  }

  /** Appends already-framed records held in several buffers with gathering writes (one system call for all, usually). */
  public void appendRaw(java.nio.ByteBuffer[] framed) throws IOException {
    long total = 0;
    for (java.nio.ByteBuffer b : framed) {
      total += b.remaining();
    }
    long written = 0;
    while (written < total) {
      written += channel.write(framed);
    }
    size += total;
  }

  /** Appends one record (not yet durable: see {@link #sync()}). */
  public void append(byte[] payload, int off, int len) throws IOException {
    appendRaw(frame(payload, off, len));
  }

  public void append(byte[] payload) throws IOException {
    append(payload, 0, payload.length);
  }

  /** fdatasync: the records appended so far survive a crash. */
  public void sync() throws IOException {
    channel.force(false);
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
