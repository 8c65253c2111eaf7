package io.distkv.common.io;

import io.distkv.common.error.CorruptionException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Reads a record log written by {@link RecordWriter} or a memory-mapped writer that preallocates
 * its file. A record cut off by the end of the file, or a bad record with nothing but zero bytes
 * after it, is a <em>torn tail</em> (a write the crash interrupted): reported via
 * {@link Result#tornTailOffset()}. Zero bytes where the next record would start end the log
 * (a preallocated tail that was never written, or file blocks a crash left unwritten). A bad record
 * with non-zero data after it is corruption: {@link CorruptionException} naming the file and offset.
 * (No valid record starts with zeros: the checksum of a zero length is not zero.)
 *
 * <p>{@link #read} streams: it holds one record at a time, whatever the file's size (a Raft log
 * segment is 64 MiB; a node with a small heap must still be able to start).
 */
public final class RecordReader {
  private RecordReader() {}

  /** Records read (empty when they were streamed to a consumer) and where the valid prefix ends. */
  public record Result(List<byte[]> records, long validLength, long tornTailOffset) {
    public boolean hasTornTail() {
      return tornTailOffset >= 0;
    }
  }

  /** Takes each record's payload in order. */
  public interface Consumer {
    void accept(byte[] payload) throws IOException;
  }

  /** Every record of the file in memory at once (small logs: manifests, WALs). */
  public static Result readAll(Path path) throws IOException {
    List<byte[]> records = new ArrayList<>();
    Result r = read(path, records::add);
    return new Result(records, r.validLength(), r.tornTailOffset());
  }

  /** Hands each record to {@code consumer} as it is read, holding one at a time. */
  public static Result read(Path path, Consumer consumer) throws IOException {
    try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
         InputStream in = new BufferedInputStream(Channels.newInputStream(ch), 1 << 16)) {
      long fileSize = ch.size();
      byte[] header = new byte[RecordWriter.HEADER];
      CRC32C crc = new CRC32C();
      long pos = 0;
      while (pos < fileSize) {
        int got = in.readNBytes(header, 0, RecordWriter.HEADER);
        if (got < RecordWriter.HEADER) {
          return allZero(header, got) ? new Result(List.of(), pos, -1) : new Result(List.of(), pos, pos);
        }
        if (allZero(header, RecordWriter.HEADER)) {
          if (restIsZero(in)) {
            return new Result(List.of(), pos, -1); // the unwritten (zero) tail
          }
          throw new CorruptionException("checksum mismatch in " + path + " at offset " + pos
              + " (a hole of zeros, more records follow)");
        }
        int len = getInt(header, 0);
        int stored = getInt(header, 4);
        long end = pos + RecordWriter.HEADER + (len & 0xFFFFFFFFL);
        if (len < 0 || end > fileSize) {
          return new Result(List.of(), pos, pos);
        }
        byte[] payload = in.readNBytes(len);
        crc.reset();
        crc.update(header, 0, 4);
        crc.update(payload, 0, len);
        if ((int) crc.getValue() != stored) {
          if (restIsZero(in)) {
            return new Result(List.of(), pos, pos);
          }
          throw new CorruptionException(
              "checksum mismatch in " + path + " at offset " + pos + " (record of " + len + " bytes, more records follow)");
        }
        consumer.accept(payload);
        pos = end;
      }
      return new Result(List.of(), pos, -1);
    }
  }

  private static int getInt(byte[] b, int at) {
    return ((b[at] & 0xFF) << 24) | ((b[at + 1] & 0xFF) << 16) | ((b[at + 2] & 0xFF) << 8) | (b[at + 3] & 0xFF);
  }

  private static boolean allZero(byte[] b, int len) {
    for (int i = 0; i < len; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /** Consumes the rest of the stream: whether it holds nothing but zeros. */
  private static boolean restIsZero(InputStream in) throws IOException {
    byte[] buf = new byte[1 << 16];
    int n;
    boolean zero = true;
    while ((n = in.read(buf)) > 0) {
      zero &= allZero(buf, n);
    }
    return zero;
  }
}
