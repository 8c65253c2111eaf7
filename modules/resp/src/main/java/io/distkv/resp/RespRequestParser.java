package io.distkv.resp;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Splits a connection's bytes into RESP requests (docs/resp.md "Framing"): arrays of bulk strings
 * ({@code *2\r\n$3\r\nGET\r\n$1\r\nk\r\n}, what every client sends) or inline commands
 * ({@code PING\r\n}, what a person types into telnet). Incremental: bytes may arrive split
 * anywhere. Bounded: a bulk string longer than {@code maxBulkBytes} is skipped unread and yields
 * an {@link Oversized} in its request's place (the connection goes on); a request of more than
 * {@code maxRequestBytes} in all, more than {@code maxArgs} arguments, or broken framing yields a
 * {@link Broken} and the parser stops (the connection is closed after answering it). One parser
 * per connection; not thread-safe.
 */
public final class RespRequestParser {
  /** What the parser found in the bytes. */
  public sealed interface Item {}

  /** A complete request: the command name and its arguments, as sent. */
  public record Request(List<byte[]> args) implements Item {}

  /** A request with a bulk string over the limit: answered with an error, its bytes discarded. */
  public record Oversized(long bytes, long limit) implements Item {}

  /** Broken framing or a request over the limits: answered with an error, then the connection closes. */
  public record Broken(String reason) implements Item {}

  /** Longest inline command or header line. */
  static final int MAX_LINE = 64 * 1024;

  private final long maxBulkBytes;
  private final long maxRequestBytes;
  private final int maxArgs;
  private byte[] buf = new byte[4096];
  private int start;
  private int end;
  private boolean broken;

  // The request being read (array form).
  private int argsExpected = -1;
  private List<byte[]> args;
  private long requestBytes;
  private long bulkLength = -1;
  private long skipping; // bytes of an oversized bulk (plus its CRLF) still to discard
  private Oversized oversized;

  public RespRequestParser(long maxBulkBytes, long maxRequestBytes, int maxArgs) {
    this.maxBulkBytes = maxBulkBytes;
    this.maxRequestBytes = maxRequestBytes;
    this.maxArgs = maxArgs;
  }

  /** Feeds {@code data}; returns the items it completed, in order (after a {@link Broken}: nothing more). */
  public List<Item> feed(byte[] data) {
    List<Item> out = new ArrayList<>();
    if (broken) {
      return out;
    }
    append(data);
    while (true) {
      Item item = next();
      if (item == null) {
        break;
      }
      out.add(item);
      if (item instanceof Broken) {
        broken = true;
        buf = new byte[0];
        start = end = 0;
        break;
      }
    }
    compact();
    return out;
  }

  private void append(byte[] data) {
    if (end + data.length > buf.length) {
      compact();
      if (end + data.length > buf.length) {
        byte[] bigger = new byte[Math.max(buf.length * 2, end + data.length)];
        System.arraycopy(buf, 0, bigger, 0, end);
        buf = bigger;
      }
    }
    System.arraycopy(data, 0, buf, end, data.length);
    end += data.length;
  }

  private void compact() {
    if (start > 0) {
      System.arraycopy(buf, start, buf, 0, end - start);
      end -= start;
      start = 0;
    }
    if (buf.length > 1 << 20 && end < buf.length / 4) {
      byte[] smaller = new byte[Math.max(4096, end)];
      System.arraycopy(buf, 0, smaller, 0, end);
      buf = smaller;
    }
  }

  /** The next complete item, or null if more bytes are needed. */
  private Item next() {
    while (true) {
      if (skipping > 0) {
        int n = (int) Math.min(skipping, end - start);
        start += n;
        skipping -= n;
        if (skipping > 0) {
          return null;
        }
        if (countArg(null)) {
          return finishRequest();
        }
        continue;
      }
      if (argsExpected < 0) {
        if (start == end) {
          return null;
        }
        if (buf[start] != '*') {
          return inline();
        }
        int eol = lineEnd();
        if (eol < 0) {
          return lineTooLong() ? new Broken("request header longer than " + MAX_LINE + " bytes") : null;
        }
        long n = parseLong(start + 1, eol);
        requestBytes = eol + 2 - start;
        start = eol + 2;
        if (n == Long.MIN_VALUE) {
          return new Broken("invalid multibulk length");
        }
        if (n <= 0) {
          continue; // "*0" and "*-1" are empty requests, ignored as Redis does
        }
        if (n > maxArgs) {
          return new Broken("too many arguments in one request (" + n + ", at most " + maxArgs + ")");
        }
        argsExpected = (int) n;
        args = new ArrayList<>((int) Math.min(n, 64));
        oversized = null;
        continue;
      }
      if (bulkLength < 0) {
        if (start == end) {
          return null;
        }
        if (buf[start] != '$') {
          return new Broken("expected '$', got '" + printable(buf[start]) + "'");
        }
        int eol = lineEnd();
        if (eol < 0) {
          return lineTooLong() ? new Broken("bulk header longer than " + MAX_LINE + " bytes") : null;
        }
        long n = parseLong(start + 1, eol);
        requestBytes += eol + 2 - start;
        start = eol + 2;
        if (n < 0) {
          return new Broken("invalid bulk length");
        }
        if (n > maxBulkBytes) {
          if (oversized == null) {
            oversized = new Oversized(n, maxBulkBytes);
          }
          skipping = n + 2;
          continue;
        }
        requestBytes += n + 2;
        if (requestBytes > maxRequestBytes) {
          return new Broken("request larger than " + maxRequestBytes + " bytes");
        }
        bulkLength = n;
        continue;
      }
      if (end - start < bulkLength + 2) {
        return null;
      }
      int at = start + (int) bulkLength;
      if (buf[at] != '\r' || buf[at + 1] != '\n') {
        return new Broken("bulk string not followed by CRLF");
      }
      byte[] arg = java.util.Arrays.copyOfRange(buf, start, at);
      start = at + 2;
      bulkLength = -1;
      if (countArg(arg)) {
        return finishRequest();
      }
    }
  }

  /** Adds an argument (null: an oversized one, skipped); true if the request is complete. */
  private boolean countArg(byte[] arg) {
    if (arg != null && oversized == null) {
      args.add(arg);
    }
    argsExpected--;
    return argsExpected == 0;
  }

  private Item finishRequest() {
    Item done = oversized != null ? oversized : new Request(args);
    argsExpected = -1;
    args = null;
    oversized = null;
    return done;
  }

  /** An inline command: space-separated words up to CRLF (or LF). */
  private Item inline() {
    int eol = -1;
    for (int i = start; i < end; i++) {
      if (buf[i] == '\n') {
        eol = i;
        break;
      }
    }
    if (eol < 0) {
      return end - start > MAX_LINE ? new Broken("inline command longer than " + MAX_LINE + " bytes") : null;
    }
    int lineEnd = eol > start && buf[eol - 1] == '\r' ? eol - 1 : eol;
    String line = new String(buf, start, lineEnd - start, StandardCharsets.UTF_8).trim();
    start = eol + 1;
    if (line.isEmpty()) {
      return next();
    }
    List<byte[]> words = new ArrayList<>();
    for (String w : line.split("\\s+")) {
      words.add(w.getBytes(StandardCharsets.UTF_8));
    }
    if (words.size() > maxArgs) {
      return new Broken("too many arguments in one request");
    }
    return new Request(words);
  }

  /** Index of the '\r' of the CRLF ending the line at {@code start}, or -1 if not yet there. */
  private int lineEnd() {
    for (int i = start; i + 1 < end; i++) {
      if (buf[i] == '\r' && buf[i + 1] == '\n') {
        return i;
      }
    }
    return -1;
  }

  private boolean lineTooLong() {
    return end - start > MAX_LINE;
  }

  /** The decimal number in buf[from, to), or Long.MIN_VALUE if it is not one. */
  private long parseLong(int from, int to) {
    if (from >= to || to - from > 19) {
      return Long.MIN_VALUE;
    }
    boolean negative = buf[from] == '-';
    int i = negative ? from + 1 : from;
    if (i == to) {
      return Long.MIN_VALUE;
    }
    long v = 0;
    for (; i < to; i++) {
      int d = buf[i] - '0';
      if (d < 0 || d > 9) {
        return Long.MIN_VALUE;
      }
      v = v * 10 + d;
    }
    return negative ? -v : v;
  }

  private static String printable(byte b) {
    return b >= 32 && b < 127 ? String.valueOf((char) b) : String.format("\\x%02x", b);
  }
}
