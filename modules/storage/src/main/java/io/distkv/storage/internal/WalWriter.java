package io.distkv.storage.internal;

import io.distkv.common.io.RecordWriter;
import java.io.IOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The write-ahead log's writer: the record framing of {@link RecordWriter} (docs/formats.md
 * "Record log"), written through a memory-mapped window instead of one {@code write} system call
 * per write group. The file grows in {@link #CHUNK}-sized steps; the part of a step not yet written
 * is zeros, which {@link io.distkv.common.io.RecordReader} reads as the end of the log. A clean
 * {@link #close()} cuts the file back to the bytes written.
 *
 * <p>Durability is the same as with {@code write}: an append is in the page cache when this
 * returns, so it survives the process being killed; {@link #sync()} (fdatasync, which on Linux
 * also writes back pages dirtied through a mapping) makes it survive the machine crashing.
 *
 * <p>{@link #append} is called by one thread at a time (the store's write leader); {@link #sync()}
 * may run concurrently from the interval syncer (it uses the channel, never the mapping).
 *
 * <p>A mapping is released as soon as the writer moves past it (next chunk, or {@link #close()}),
 * through {@code sun.misc.Unsafe.invokeCleaner} where available: left to the garbage collector, the
 * mappings of deleted WAL files would keep their disk blocks allocated until an old-generation
 * collection. Nothing touches a window after it is released (one writer; sync uses the channel).
 */
public final class WalWriter implements AutoCloseable {
  /** How much the file (and the mapping) grows at a time. */
  public static final int CHUNK = 1 << 20;

  private final Path path;
  private final FileChannel channel;
  private final CRC32C crc = new CRC32C();
  private MappedByteBuffer window;
  private long windowStart;
  private long size;

  public WalWriter(Path path) throws IOException {
    this.path = path;
    this.channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
        StandardOpenOption.WRITE);
    mapAt(0);
  }

  public Path path() {
    return path;
  }

  /** Bytes written (headers included). */
  public long size() {
    return size;
  }

  private void mapAt(long start) throws IOException {
    MappedByteBuffer previous = window;
    window = channel.map(FileChannel.MapMode.READ_WRITE, start, CHUNK);
    windowStart = start;
    if (previous != null) {
      Mappings.unmap(previous);
    }
  }

  /**
   * Appends one record whose payload is {@code sink[HEADER, sink.size())}; the first
   * {@link RecordWriter#HEADER} bytes of {@code sink} are reserved and are overwritten with the
   * header here.
   */
  public void append(ByteSink sink) throws IOException {
    byte[] buf = sink.array();
    int total = sink.size();
    RecordWriter.writeHeader(buf, 0, total - RecordWriter.HEADER, crc);
    int off = 0;
    while (off < total) {
      if (!window.hasRemaining()) {
        mapAt(windowStart + CHUNK);
      }
      int n = Math.min(window.remaining(), total - off);
      window.put(buf, off, n);
      off += n;
    }
    size += total;
  }

  /** fdatasync: everything appended so far survives a machine crash. */
  public void sync() throws IOException {
    channel.force(false);
  }

  /** Cuts the preallocated tail off and closes; does not sync. */
  @Override
  public void close() throws IOException {
    MappedByteBuffer last = window;
    window = null;
    try {
      if (last != null) {
        Mappings.unmap(last); // written pages stay in the page cache: unmapping a shared mapping loses nothing
      }
      channel.truncate(size);
    } finally {
      channel.close();
    }
  }
}
