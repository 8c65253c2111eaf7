package io.distkv.common.protocol;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Helpers of the hand-written wire formats (Raft and client messages) over a {@link ByteBuffer},
 * so a serializer writes straight into Artery's envelope buffer and reads straight out of it
 * (Pekko's {@code ByteBufferSerializer}), without an intermediate array per message. Strings are
 * Java's modified UTF-8 with a u16 length, as {@link DataOutputStream#writeUTF} writes them;
 * byte strings an i32 length (-1 = null) and the bytes. Reads check every length against what
 * is left and throw {@link WireException} naming the problem.
 */
public final class Wire {
  private Wire() {}

  /** A malformed message. */
  public static final class WireException extends RuntimeException {
    public WireException(String message) {
      super(message);
    }
  }

  /** {@code s} in modified UTF-8, without the length. */
  public static byte[] utf(String s) {
    int n = s.length();
    boolean ascii = n <= 0xffff;
    for (int i = 0; i < n && ascii; i++) {
      char c = s.charAt(i);
      ascii = c >= 1 && c < 0x80;
    }
    if (ascii) {
      return s.getBytes(StandardCharsets.ISO_8859_1);
    }
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(n * 3 + 2);
      new DataOutputStream(bytes).writeUTF(s); // throws for more than 64 KiB of encoding
      byte[] withLength = bytes.toByteArray();
      return java.util.Arrays.copyOfRange(withLength, 2, withLength.length);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Bytes {@link #putUtf} writes for {@code s}. */
  public static int utfSize(String s) {
    return 2 + utf(s).length;
  }

  public static void putUtf(ByteBuffer b, String s) {
    byte[] u = utf(s);
    b.putShort((short) u.length);
    b.put(u);
  }

  public static String getUtf(ByteBuffer b) {
    int n = b.getShort() & 0xffff;
    if (n > b.remaining()) {
      throw new WireException("string of " + n + " bytes exceeds the message");
    }
    byte[] u = new byte[n];
    b.get(u);
    for (byte x : u) {
      if (x <= 0) {
        return decodeModified(u);
      }
    }
    return new String(u, StandardCharsets.ISO_8859_1);
  }

  private static String decodeModified(byte[] u) {
    try {
      byte[] withLength = new byte[u.length + 2];
      withLength[0] = (byte) (u.length >>> 8);
      withLength[1] = (byte) u.length;
      System.arraycopy(u, 0, withLength, 2, u.length);
      return new DataInputStream(new ByteArrayInputStream(withLength)).readUTF();
    } catch (IOException e) {
      throw new WireException("malformed modified UTF-8 string: " + e.getMessage());
    }
  }

  /** Bytes {@link #putBytes} writes for {@code a}. */
  public static int bytesSize(byte[] a) {
    return 4 + (a == null ? 0 : a.length);
  }

  public static void putBytes(ByteBuffer b, byte[] a) {
    if (a == null) {
      b.putInt(-1);
      return;
    }
    b.putInt(a.length);
    b.put(a);
  }

  /** A byte string; -1 (null) only where {@code nullable}. */
  public static byte[] getBytes(ByteBuffer b, boolean nullable) {
    int n = b.getInt();
    if (n == -1 && nullable) {
      return null;
    }
    if (n < 0 || n > b.remaining()) {
      throw new WireException("length " + n + " exceeds the message");
    }
    byte[] a = new byte[n];
    b.get(a);
    return a;
  }

  /** A count of items, each at least one byte, checked against what is left. */
  public static int getCount(ByteBuffer b, int max) {
    int n = b.getInt();
    if (n < 0 || n > max || n > b.remaining()) {
      throw new WireException("count " + n + " out of range");
    }
    return n;
  }

  /** Runs {@code read} and turns an underflow into a {@link WireException}. */
  public static <T> T reading(java.util.function.Supplier<T> read) {
    try {
      return read.get();
    } catch (BufferUnderflowException e) {
      throw new WireException("message ends early");
    }
  }
}
