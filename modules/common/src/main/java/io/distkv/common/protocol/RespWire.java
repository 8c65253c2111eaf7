package io.distkv.common.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of RESP2 (docs/resp.md): a command out as an array of bulk strings, a reply in
 * as plain Java values. What the CLI and the Java client's RESP transport speak to a node; RESP2
 * is small enough to speak directly (a Redis client library cost the CLI 80 ms of start-up).
 */
public final class RespWire {
  private RespWire() {}

  /** An error reply ("-PREFIX rest"), as a value: a whole answer, or an item inside an array. */
  public record Error(String message) {
    /** The first word: READONLY, CLUSTERDOWN, TRYAGAIN, BUSY, NOPERM, NOAUTH, WRONGPASS, ERR... */
    public String prefix() {
      int sp = message.indexOf(' ');
      return sp < 0 ? message : message.substring(0, sp);
    }
  }

  /**
   * A TCP connection to a node's RESP port, with TCP_NODELAY, over TLS with {@code tls} when not
   * null (the handshake is done here, bounded by {@code timeoutMs} like the connect; a node of
   * another CA fails it). Reads block without a timeout until the caller sets one.
   */
  public static java.net.Socket connect(String host, int port, javax.net.ssl.SSLContext tls, int timeoutMs)
      throws IOException {
    java.net.Socket s = new java.net.Socket();
    try {
      s.connect(new java.net.InetSocketAddress(host, port), timeoutMs);
      s.setTcpNoDelay(true);
      if (tls == null) {
        return s;
      }
      javax.net.ssl.SSLSocket secure = (javax.net.ssl.SSLSocket) tls.getSocketFactory().createSocket(s, host, port, true);
      secure.setEnabledProtocols(io.distkv.common.config.TlsSettings.protocols());
      secure.setSoTimeout(timeoutMs);
      secure.startHandshake();
      secure.setSoTimeout(0);
      return secure;
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  /**
   * Writes one command (not flushed): byte[] arguments as they are, anything else as the UTF-8
   * text of {@code String.valueOf}.
   */
  public static void writeCommand(OutputStream out, Object... parts) throws IOException {
    out.write(('*' + Integer.toString(parts.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    for (Object a : parts) {
      byte[] b = a instanceof byte[] bytes ? bytes : String.valueOf(a).getBytes(StandardCharsets.UTF_8);
      out.write(('$' + Integer.toString(b.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(b);
      out.write('\r');
      out.write('\n');
    }
  }

  /**
   * Reads one reply: String (status), Long (integer), byte[] or null (bulk string, null array),
   * List (array, items of the same kinds), {@link Error}. Throws IOException when the stream ends
   * or is not RESP2.
   */
  public static Object read(InputStream in) throws IOException {
    int type = in.read();
    if (type < 0) {
      throw new IOException("the node closed the connection");
    }
    String line = line(in);
    switch (type) {
      case '+':
        return line;
      case '-':
        return new Error(line);
      case ':':
        return parseLong(line);
      case '$': {
        long n = parseLong(line);
        if (n < 0) {
          return null;
        }
        if (n > Integer.MAX_VALUE - 8) {
          throw new IOException("a bulk string of " + n + " bytes is longer than an array can hold");
        }
        byte[] b = in.readNBytes((int) n);
        if (b.length < n || in.read() != '\r' || in.read() != '\n') {
          throw new IOException("the node's reply ended inside a bulk string");
        }
        return b;
      }
      case '*': {
        long n = parseLong(line);
        if (n < 0) {
          return null;
        }
        List<Object> items = new ArrayList<>((int) Math.min(n, 1024));
        for (long i = 0; i < n; i++) {
          items.add(read(in));
        }
        return items;
      }
      default:
        throw new IOException("not a RESP2 reply (type byte " + type + ")");
    }
  }

  private static long parseLong(String line) throws IOException {
    try {
      return Long.parseLong(line);
    } catch (NumberFormatException e) {
      throw new IOException("not a RESP2 length or integer: '" + line + "'");
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream s = new ByteArrayOutputStream();
    for (int c = in.read(); ; c = in.read()) {
      if (c < 0) {
        throw new IOException("the node closed the connection mid-reply");
      }
      if (c == '\r') {
        if (in.read() != '\n') {
          throw new IOException("a reply line without its \\n");
        }
        return s.toString(StandardCharsets.UTF_8);
      }
      s.write(c);
    }
  }
}
