package io.distkv.common.protocol;

import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.InvalidArgumentException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A write replicated through a partition's Raft log. Carries the client session (id + sequence +
 * first unacknowledged sequence) that makes a retried write apply once, even when one client has
 * many writes in flight at a time. Layout in docs/formats.md "Partition command".
 *
 * @param clientId the writing client's session id ("" = no session, no dedup)
 * @param sequence the client's sequence number for this write (unique per client, increasing)
 * @param firstUnacked the lowest sequence of this client that has not had its reply yet: the
 *     partition may forget the results of every lower sequence (they will never be retried)
 * @param ops one op, or several for an atomic batch (all in this partition)
 * @param proposedAtMillis wall-clock time the router proposed it (0 = unknown); a partition expires
 *     client sessions idle for longer than the session TTL by this clock, the same way on every replica
 */
public record KvCommand(String clientId, long sequence, long firstUnacked, List<Op> ops, long proposedAtMillis) {
  /** Kinds of write. */
  public enum Kind {
    PUT,
    DELETE,
    /** Put only if the key has no live value. */
    PUT_IF_ABSENT,
    /** Put only if the key's version equals {@link Op#expectedVersion()} (0 = must be absent). */
    COMPARE_AND_SET,
    /**
     * Add the signed delta carried in {@link Op#expectedVersion()} to the key's value, a decimal
     * 64-bit integer (absent = 0), and store the sum as decimal text; the result's value is the
     * sum. A value that is not such an integer, or an overflow, refuses the whole command.
     */
    INCREMENT
  }

  /** One write to one key. */
  public record Op(Kind kind, byte[] key, byte[] value, long expectedVersion) {
    public static Op put(byte[] key, byte[] value) {
      return new Op(Kind.PUT, key, value, 0);
    }

    public static Op delete(byte[] key) {
      return new Op(Kind.DELETE, key, null, 0);
    }

    public static Op putIfAbsent(byte[] key, byte[] value) {
      return new Op(Kind.PUT_IF_ABSENT, key, value, 0);
    }

    public static Op compareAndSet(byte[] key, long expectedVersion, byte[] value) {
      return new Op(Kind.COMPARE_AND_SET, key, value, expectedVersion);
    }

    public static Op increment(byte[] key, long delta) {
      return new Op(Kind.INCREMENT, key, null, delta);
    }
  }

  public KvCommand {
    if (ops == null || ops.isEmpty()) {
      throw new InvalidArgumentException("a command needs at least one op");
    }
    ops = List.copyOf(ops);
    clientId = clientId == null ? "" : clientId;
    if (firstUnacked > sequence) {
      throw new InvalidArgumentException("first unacknowledged sequence " + firstUnacked
          + " is above this write's sequence " + sequence);
    }
  }

  public KvCommand(String clientId, long sequence, long firstUnacked, List<Op> ops) {
    this(clientId, sequence, firstUnacked, ops, 0);
  }

  /** A write from a client with one write in flight at a time (everything below it is acknowledged). */
  public KvCommand(String clientId, long sequence, List<Op> ops) {
    this(clientId, sequence, sequence, ops);
  }

  /** This command stamped with the proposing router's clock. */
  public KvCommand proposedAt(long millis) {
    return new KvCommand(clientId, sequence, firstUnacked, ops, millis);
  }

  public static KvCommand single(String clientId, long sequence, Op op) {
    return new KvCommand(clientId, sequence, List.of(op));
  }

  public byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeByte(3); // format version
      out.writeUTF(clientId);
      out.writeLong(sequence);
      out.writeLong(firstUnacked);
      out.writeLong(proposedAtMillis);
      out.writeInt(ops.size());
      for (Op op : ops) {
        out.writeByte(op.kind().ordinal());
        out.writeInt(op.key().length);
        out.write(op.key());
        boolean hasValue = op.value() != null;
        out.writeBoolean(hasValue);
        if (hasValue) {
          out.writeInt(op.value().length);
          out.write(op.value());
        }
        out.writeLong(op.expectedVersion());
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static KvCommand decode(byte[] data) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      int version = in.readUnsignedByte();
      if (version < 1 || version > 3) {
        throw new CorruptionException("unknown partition command format " + version);
      }
      String client = in.readUTF();
      long seq = in.readLong();
      long firstUnacked = version == 1 ? seq : in.readLong();
      long proposedAt = version >= 3 ? in.readLong() : 0;
      int n = in.readInt();
      List<Op> ops = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        Kind kind = Kind.values()[in.readUnsignedByte()];
        byte[] key = new byte[in.readInt()];
        in.readFully(key);
        byte[] value = null;
        if (in.readBoolean()) {
          value = new byte[in.readInt()];
          in.readFully(value);
        }
        ops.add(new Op(kind, key, value, in.readLong()));
      }
      return new KvCommand(client, seq, firstUnacked, ops, proposedAt);
    } catch (IOException | ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw new CorruptionException("malformed partition command: " + e);
    }
  }
}
