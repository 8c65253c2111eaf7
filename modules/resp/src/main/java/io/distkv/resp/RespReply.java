package io.distkv.resp;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A reply to a RESP request and its encoding in RESP2 or RESP3 (docs/resp.md "Replies"). The
 * types are RESP3's; in RESP2 a null is {@code $-1}, a map a flat array of keys and values, a
 * boolean the integer 1 or 0.
 */
public sealed interface RespReply {
  /** {@code +OK}: a status line (no CR or LF in it). */
  record Simple(String text) implements RespReply {}

  /** {@code -CODE message}: an error; {@code code} is Redis's prefix (ERR, READONLY, TRYAGAIN, ...). */
  record Error(String code, String message) implements RespReply {}

  /** {@code :42}. */
  record Int(long value) implements RespReply {}

  /** {@code $3\r\nabc}: binary-safe bytes. */
  record Bulk(byte[] bytes) implements RespReply {}

  /** {@code $-1} in RESP2, {@code _} in RESP3. */
  record Null() implements RespReply {}

  /** {@code *n}: an array. */
  record Array(List<RespReply> items) implements RespReply {}

  /** {@code %n} in RESP3: alternating keys and values; a flat array in RESP2. */
  record Map(List<RespReply> keysAndValues) implements RespReply {}

  /** {@code #t}/{@code #f} in RESP3; {@code :1}/{@code :0} in RESP2. */
  record Bool(boolean value) implements RespReply {}

  RespReply OK = new Simple("OK");
  RespReply NULL = new Null();

  static RespReply bulk(String s) {
    return new Bulk(s.getBytes(StandardCharsets.UTF_8));
  }

  static RespReply error(String message) {
    return new Error("ERR", message);
  }

  /** This reply as bytes for a connection speaking {@code protocol} (2 or 3). */
  default byte[] encode(int protocol) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64);
    write(this, protocol, out);
    return out.toByteArray();
  }

  private static void write(RespReply r, int protocol, ByteArrayOutputStream out) {
    if (r instanceof Simple s) {
      line(out, '+', oneLine(s.text()));
    } else if (r instanceof Error e) {
      line(out, '-', e.code() + " " + oneLine(e.message()));
    } else if (r instanceof Int i) {
      line(out, ':', Long.toString(i.value()));
    } else if (r instanceof Bulk b) {
      line(out, '$', Integer.toString(b.bytes().length));
      out.writeBytes(b.bytes());
      crlf(out);
    } else if (r instanceof Null) {
      line(out, protocol >= 3 ? '_' : '$', protocol >= 3 ? "" : "-1");
    } else if (r instanceof Array a) {
      line(out, '*', Integer.toString(a.items().size()));
      for (RespReply item : a.items()) {
        write(item, protocol, out);
      }
    } else if (r instanceof Map m) {
      int n = m.keysAndValues().size();
      line(out, protocol >= 3 ? '%' : '*', Integer.toString(protocol >= 3 ? n / 2 : n));
      for (RespReply item : m.keysAndValues()) {
        write(item, protocol, out);
      }
    } else if (r instanceof Bool b) {
      line(out, protocol >= 3 ? '#' : ':', protocol >= 3 ? (b.value() ? "t" : "f") : (b.value() ? "1" : "0"));
    }
  }

  private static String oneLine(String s) {
    return s.replace('\r', ' ').replace('\n', ' ');
  }

  private static void line(ByteArrayOutputStream out, char type, String text) {
    out.write(type);
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
    crlf(out);
  }

  private static void crlf(ByteArrayOutputStream out) {
    out.write('\r');
    out.write('\n');
  }
}
