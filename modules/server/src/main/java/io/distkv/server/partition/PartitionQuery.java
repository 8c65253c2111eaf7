package io.distkv.server.partition;

import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.ClientProtocol.ScanPart;
import io.distkv.common.protocol.Wire;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The reads a router hands a partition replica, and their binary codec (the writes are
 * {@link io.distkv.common.protocol.KvCommand}s, the answers {@link io.distkv.common.protocol.KvResult}s
 * and, for scans, {@link ScanPart}s). One place validates and encodes them; the state machine
 * only decodes. Layouts in docs/formats.md "Partition queries".
 */
public sealed interface PartitionQuery {
  byte GET = 1;
  byte SCAN = 2;
  byte CHECKPOINT = 3;

  /** The key's value and version. */
  record Get(byte[] key) implements PartitionQuery {}

  /** Live keys in [start, end) (null = unbounded), at most {@code limit}, about a page of bytes. */
  record Scan(byte[] start, byte[] end, int limit) implements PartitionQuery {}

  /**
   * A checkpoint of the partition's store for backup {@code backupId} (checked by {@link io.distkv.common.backup.BackupId}), taken
   * on the leader after the read's ReadIndex: it holds every write acknowledged before it began.
   */
  record Checkpoint(String backupId) implements PartitionQuery {}

  /**
   * {@code [GET][key]}, {@code [SCAN][start][end][limit i32]} or {@code [CHECKPOINT][backup id, UTF-8]},
   * a byte string being {@code [len i32 (-1 = null)][bytes]}.
   */
  static byte[] encode(PartitionQuery q) {
    if (q instanceof Checkpoint c) {
      byte[] id = c.backupId().getBytes(java.nio.charset.StandardCharsets.UTF_8);
      byte[] out = new byte[id.length + 1];
      out[0] = CHECKPOINT;
      System.arraycopy(id, 0, out, 1, id.length);
      return out;
    }
    if (q instanceof Get g) {
      byte[] out = new byte[g.key().length + 1];
      out[0] = GET;
      System.arraycopy(g.key(), 0, out, 1, g.key().length);
      return out;
    }
    Scan s = (Scan) q;
    ByteBuffer b = ByteBuffer.allocate(1 + Wire.bytesSize(s.start()) + Wire.bytesSize(s.end()) + 4).put(SCAN);
    Wire.putBytes(b, s.start());
    Wire.putBytes(b, s.end());
    return b.putInt(s.limit()).array();
  }

  /** The query {@code data} encodes; {@link InvalidArgumentException} naming what is wrong otherwise. */
  static PartitionQuery decode(byte[] data) {
    if (data == null || data.length == 0) {
      throw new InvalidArgumentException("empty partition query");
    }
    try {
      return switch (data[0]) {
        case GET -> new Get(Arrays.copyOfRange(data, 1, data.length));
        case SCAN -> {
          ByteBuffer b = ByteBuffer.wrap(data, 1, data.length - 1);
          byte[] start = Wire.getBytes(b, true);
          byte[] end = Wire.getBytes(b, true);
          int limit = b.getInt();
          if (b.hasRemaining()) {
            throw new InvalidArgumentException("scan query has " + b.remaining() + " trailing bytes");
          }
          yield new Scan(start, end, limit);
        }
        case CHECKPOINT -> new Checkpoint(io.distkv.common.backup.BackupId.check(
            new String(data, 1, data.length - 1, java.nio.charset.StandardCharsets.UTF_8)));
        default -> throw new InvalidArgumentException("unknown partition query type " + data[0]);
      };
    } catch (BufferUnderflowException | Wire.WireException e) {
      throw new InvalidArgumentException("truncated partition query of " + data.length + " bytes");
    }
  }

  /** {@code [count i32]([key][version i64][value])*[more u8]}. */
  static byte[] encodeScan(ScanPart scan) {
    int size = 4 + 1;
    for (ScanEntry e : scan.entries()) {
      size += Wire.bytesSize(e.key()) + 8 + Wire.bytesSize(e.value());
    }
    ByteBuffer b = ByteBuffer.allocate(size).putInt(scan.entries().size());
    for (ScanEntry e : scan.entries()) {
      Wire.putBytes(b, e.key());
      b.putLong(e.version());
      Wire.putBytes(b, e.value());
    }
    return b.put((byte) (scan.more() ? 1 : 0)).array();
  }

  static ScanPart decodeScan(byte[] data) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      int n = b.getInt();
      List<ScanEntry> entries = new ArrayList<>(Math.min(n, 1 << 16));
      for (int i = 0; i < n; i++) {
        byte[] key = Wire.getBytes(b, false);
        long version = b.getLong();
        entries.add(new ScanEntry(key, version, Wire.getBytes(b, false)));
      }
      return new ScanPart(entries, b.get() != 0);
    } catch (RuntimeException e) {
      throw new CorruptionException("malformed partition scan result: " + e);
    }
  }
}
