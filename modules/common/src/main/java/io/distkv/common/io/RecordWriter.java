package io.distkv.common.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

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
    byte[] out = new byte[HEADER + payload.length];
    byte[] header = header(payload, 0, payload.length);
    System.arraycopy(header, 0, out, 0, HEADER);
    System.arraycopy(payload, 0, out, HEADER, payload.length);
    return out;
  }

  /** Appends bytes that are already framed records (several records, one write). */
  public void appendRaw(byte[] framed) throws IOException {
    ByteBuffer b = ByteBuffer.wrap(framed);
    while (b.hasRemaining()) {
      channel.write(b);
    }
    size += framed.length;
  }

  private static byte[] header(byte[] payload, int off, int len) {
    byte[] header = new byte[HEADER];
    header[0] = (byte) (len >>> 24);
    header[1] = (byte) (len >>> 16);
    header[2] = (byte) (len >>> 8);
    header[3] = (byte) len;
    java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    crc.update(header, 0, 4);
    crc.update(payload, off, len);
    int c = (int) crc.getValue();
    header[4] = (byte) (c >>> 24);
    header[5] = (byte) (c >>> 16);
    header[6] = (byte) (c >>> 8);
    header[7] = (byte) c;
    return header;
  }

  /** Appends one record (not yet durable: see {@link #sync()}). */
  public void append(byte[] payload, int off, int len) throws IOException {
    byte[] header = header(payload, off, len);
    ByteBuffer[] bufs = {ByteBuffer.wrap(header), ByteBuffer.wrap(payload, off, len)};
    long want = HEADER + (long) len;
    long written = 0;
    while (written < want) {
      written += channel.write(bufs);
    }
    size += want;
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
