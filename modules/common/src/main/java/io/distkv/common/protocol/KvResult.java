package io.distkv.common.protocol;

import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.ErrorCode;
import java.nio.ByteBuffer;

/**
 * The answer to a command or read: a code (OK, NOT_FOUND, CONFLICT, ALREADY_EXISTS), the key's
 * version (the Raft index of its last write; 0 = absent) and, for reads, the value.
 */
public record KvResult(ErrorCode code, long version, byte[] value) {
  public static KvResult ok(long version) {
    return new KvResult(ErrorCode.OK, version, null);
  }

  public byte[] encode() {
    int vlen = value == null ? -1 : value.length;
    ByteBuffer b = ByteBuffer.allocate(4 + 8 + 4 + Math.max(vlen, 0));
    b.putInt(code.wireValue()).putLong(version).putInt(vlen);
    if (value != null) {
      b.put(value);
    }
    return b.array();
  }

  public static KvResult decode(byte[] data) {
    try {
      ByteBuffer b = ByteBuffer.wrap(data);
      ErrorCode code = ErrorCode.fromWire(b.getInt());
      long version = b.getLong();
      int vlen = b.getInt();
      byte[] value = null;
      if (vlen >= 0) {
        value = new byte[vlen];
        b.get(value);
      }
      return new KvResult(code, version, value);
    } catch (RuntimeException e) {
      throw new CorruptionException("malformed partition result: " + e);
    }
  }
}
