package io.distkv.client;

import io.distkv.common.error.UnavailableException;
import io.distkv.common.protocol.RespWire;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLContext;

/**
 * One pipelined RESP2 connection of the Java client's RESP transport to a node: any number of
 * commands in flight, their replies matched in order by one reader thread (a daemon, which
 * completes each command's future). Once the connection breaks, every command in flight and
 * every later one fails with UNAVAILABLE naming the node; the transport then opens another.
 */
final class RespChannel implements AutoCloseable {
  private final String endpoint;
  private final Socket socket;
  private final OutputStream out;
  private final InputStream in;
  /**
   * Commands sent and not yet answered, in the order sent (added under {@link #writeLock}). The
   * reader takes from it without that lock: a writer blocked on a full socket must never stop the
   * replies being read, or neither side would move.
   */
  private final ConcurrentLinkedQueue<CompletableFuture<Object>> pending = new ConcurrentLinkedQueue<>();
  private final Object writeLock = new Object();
  private final AtomicReference<IOException> broken = new AtomicReference<>();

  private RespChannel(String endpoint, Socket socket) throws IOException {
    this.endpoint = endpoint;
    this.socket = socket;
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    Thread reader = new Thread(this::readReplies, "distkv-resp-" + endpoint);
    reader.setDaemon(true);
    reader.start();
  }

  /**
   * Connects to {@code endpoint} ("host:port" of a node's RESP port), over mutual TLS with {@code
   * tls} when not null (the handshake happens here: a node of another CA fails it).
   */
  static RespChannel open(String endpoint, SSLContext tls, Duration connectTimeout) throws IOException {
    int colon = endpoint.lastIndexOf(':');
    Socket s = RespWire.connect(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)), tls,
        (int) Math.min(connectTimeout.toMillis(), Integer.MAX_VALUE));
    try {
      return new RespChannel(endpoint, s);
    } catch (IOException | RuntimeException e) {
      s.close();
      throw e;
    }
  }

  String endpoint() {
    return endpoint;
  }

  boolean isBroken() {
    return broken.get() != null;
  }

  /**
   * Sends one command; the future completes with its reply (String, Long, byte[], null, List or
   * {@link RespWire.Error}), or fails with UNAVAILABLE if the connection breaks first.
   */
  CompletableFuture<Object> call(Object... parts) {
    CompletableFuture<Object> reply = new CompletableFuture<>();
    synchronized (writeLock) {
      IOException b = broken.get();
      if (b != null) {
        reply.completeExceptionally(unavailable(b));
        return reply;
      }
      pending.add(reply);
      try {
        RespWire.writeCommand(out, parts);
        out.flush();
      } catch (IOException e) {
        breakWith(e);
      }
    }
    if (broken.get() != null) { // broken by the reader while this was being sent
      failPending();
    }
    return reply;
  }

  private void readReplies() {
    try {
      while (true) {
        Object reply = RespWire.read(in);
        CompletableFuture<Object> f = pending.poll();
        if (f == null) {
          throw new IOException("a reply to no command");
        }
        f.complete(reply);
      }
    } catch (IOException e) {
      breakWith(e);
    }
  }

  /** Marks the connection broken, closes it and fails what is in flight. */
  private void breakWith(IOException cause) {
    broken.compareAndSet(null, cause);
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closing
    }
    failPending();
  }

  private void failPending() {
    IOException cause = broken.get();
    for (CompletableFuture<Object> f = pending.poll(); f != null; f = pending.poll()) {
      f.completeExceptionally(unavailable(cause));
    }
  }

  private UnavailableException unavailable(IOException cause) {
    return new UnavailableException(io.distkv.common.error.ErrorCode.UNAVAILABLE,
        "the connection to " + endpoint + " broke: " + cause.getMessage());
  }

  @Override
  public void close() {
    breakWith(new IOException("the client closed it"));
  }
}
