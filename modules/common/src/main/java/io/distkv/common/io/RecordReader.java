package io.distkv.common.io;

import io.distkv.common.error.CorruptionException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a record log written by {@link RecordWriter} or a memory-mapped writer that preallocates
 * its file. A record cut off by the end of the file, or a bad record with nothing but zero bytes
 * after it, is a <em>torn tail</em> (a write the crash interrupted): reported via
 * {@link Result#tornTailOffset()}. Zero bytes where the next record would start end the log
 * (a preallocated tail that was never written, or file blocks a crash left unwritten). A bad record
 * with non-zero data after it is corruption: {@link CorruptionException} naming the file and offset.
 * (No valid record starts with zeros: the checksum of a zero length is not zero.)
 */
public final class RecordReader {
  private RecordReader() {}

  /** Records read and where the valid prefix ends. */
  public record Result(List<byte[]> records, long validLength, long tornTailOffset) {
    public boolean hasTornTail() {
      return tornTailOffset >= 0;
    }
  }

  public static Result readAll(Path path) throws IOException {
    byte[] data = Files.readAllBytes(path);
    // Everything at and after contentEnd is zero.
    int contentEnd = data.length;
    while (contentEnd > 0 && data[contentEnd - 1] == 0) {
      contentEnd--;
    }
    List<byte[]> records = new ArrayList<>();
    int pos = 0;
    while (pos < contentEnd) {
      if (data.length - pos < RecordWriter.HEADER) {
        return new Result(records, pos, pos);
      }
      int len = ((data[pos] & 0xFF) << 24) | ((data[pos + 1] & 0xFF) << 16) | ((data[pos + 2] & 0xFF) << 8) | (data[pos + 3] & 0xFF);
      int stored = ((data[pos + 4] & 0xFF) << 24) | ((data[pos + 5] & 0xFF) << 16) | ((data[pos + 6] & 0xFF) << 8) | (data[pos + 7] & 0xFF);
      long end = (long) pos + RecordWriter.HEADER + (len & 0xFFFFFFFFL);
      if (len < 0 || end > data.length) {
        return new Result(records, pos, pos);
      }
      java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
      crc.update(data, pos, 4);
      crc.update(data, pos + RecordWriter.HEADER, len);
      if ((int) crc.getValue() != stored) {
        if (end >= contentEnd) {
          return new Result(records, pos, pos);
        }
        throw new CorruptionException(
            "checksum mismatch in " + path + " at offset " + pos + " (record of " + len + " bytes, more records follow)");
      }
      byte[] payload = new byte[len];
      System.arraycopy(data, pos + RecordWriter.HEADER, payload, 0, len);
      records.add(payload);
      pos = (int) end;
    }
    return new Result(records, pos, -1);
  }
}
