package io.distkv.resp;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.TLSClosing;
import org.apache.pekko.stream.TLSProtocol;
import org.apache.pekko.stream.javadsl.BidiFlow;
import org.apache.pekko.stream.javadsl.Flow;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.stream.javadsl.TLS;
import org.apache.pekko.stream.javadsl.Tcp;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's Redis-protocol front door (docs/resp.md): a Pekko Streams TCP server in the node's
 * ActorSystem. Each connection is one stream: bytes → {@link RespRequestParser} → at most
 * {@code maxInFlight} requests carried out at once ({@link RespCommands}, pipelined, answered in
 * request order) → encoded replies. A slow reader backpressures its own requests only; no thread
 * per connection. A connection idle for {@code idleTimeout} is closed; broken framing is answered
 * with an error and the connection closed.
 */
public final class RespServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RespServer.class);
  /** dist-kv's version as HELLO and INFO report it. */
  public static final String VERSION = "0.1.0";

  /**
   * Where and how a node serves RESP.
   *
   * @param maxBulkBytes longest bulk string accepted (a longer one is answered with an error, its bytes skipped)
   * @param maxRequestBytes longest request in all (beyond it the connection closes)
   */
  public record Settings(String host, int port, int maxInFlight, Duration idleTimeout, long maxBulkBytes,
      long maxRequestBytes, int maxArgs, javax.net.ssl.SSLContext tls) {
    /** Limits derived from dist-kv's key and value limits: one bulk holds a key or a value; a request 16 of each. */
    public static Settings forLimits(String host, int port, int maxInFlight, Duration idleTimeout, int maxKeyBytes,
        int maxValueBytes) {
      long bulk = Math.max(maxKeyBytes, maxValueBytes);
      return new Settings(host, port, maxInFlight, idleTimeout, bulk, 16L * (maxKeyBytes + maxValueBytes) + 65_536,
          1 << 20, null);
    }

    /**
     * The same, served over TLS with {@code context} (null = plain TCP): TLS 1.3/1.2, and a client
     * must present a certificate the context trusts (mutual TLS), as nodes and Java clients do.
     */
    public Settings withTls(javax.net.ssl.SSLContext context) {
      return new Settings(host, port, maxInFlight, idleTimeout, maxBulkBytes, maxRequestBytes, maxArgs, context);
    }
  }

  /** One reply, encoded, and whether the connection closes after it. */
  private record Out(byte[] bytes, boolean last) {}

  /** A tick of a connection's idle check; passed on when the connection is idle, to close it. */
  private static final Object IDLE_CHECK = new Object();

  private final org.apache.pekko.stream.javadsl.Tcp.ServerBinding binding;

  private RespServer(org.apache.pekko.stream.javadsl.Tcp.ServerBinding binding) {
    this.binding = binding;
  }

  /** Binds and starts serving; throws if the port cannot be bound within 10 s. */
  public static RespServer start(ActorSystem<?> system, RespCommands commands, Settings settings) {
    Materializer materializer = Materializer.matFromSystem(system);
    AtomicLong ids = new AtomicLong();
    javax.net.ssl.SSLContext tls = settings.tls();
    CompletionStage<Tcp.ServerBinding> bound = Tcp.get(system).bind(settings.host(), settings.port())
        .to(Sink.foreach(conn -> {
          RespConnection c = new RespConnection(ids.incrementAndGet(), conn.remoteAddress().toString(),
              !commands.needsAuth());
          commands.connectionOpened();
          Flow<ByteString, ByteString, NotUsed> served = connectionFlow(c, commands, settings);
          conn.handleWith((tls == null ? served : overTls(tls, c, commands).join(served))
              .watchTermination((mat, done) -> {
                done.whenComplete((d, t) -> commands.connectionClosed());
                return mat;
              }), materializer);
        }))
        .run(materializer);
    try {
      Tcp.ServerBinding b = bound.toCompletableFuture().get(10, TimeUnit.SECONDS);
      log.info("serving RESP{} on {}", tls == null ? "" : " over TLS", b.localAddress());
      return new RespServer(b);
    } catch (Exception e) {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      throw new IllegalStateException("cannot serve RESP on " + settings.host() + ":" + settings.port() + ": " + cause,
          cause);
    }
  }

  /**
   * A connection's TLS (mutual: the client must present a certificate the context trusts, or the
   * handshake fails): network bytes in and out on one side, the plain bytes on the other. The
   * session's client certificate, once the handshake is done and before the first request, may
   * log the connection in ({@link RespCommands#identify}).
   */
  private static BidiFlow<ByteString, ByteString, ByteString, ByteString, NotUsed> overTls(
      javax.net.ssl.SSLContext tls, RespConnection c, RespCommands commands) {
    java.util.concurrent.atomic.AtomicBoolean identified = new java.util.concurrent.atomic.AtomicBoolean();
    BidiFlow<ByteString, TLSProtocol.SslTlsOutbound, TLSProtocol.SslTlsInbound, ByteString, NotUsed> plain =
        BidiFlow.fromFunctions(
            TLSProtocol.SendBytes::new,
            in -> {
              if (!(in instanceof TLSProtocol.SessionBytes bytes)) {
                return ByteString.emptyByteString(); // SessionTruncated: the peer ended without close_notify
              }
              if (identified.compareAndSet(false, true)) {
                commands.identify(c, bytes.session());
              }
              return bytes.bytes();
            });
    return plain.atop(TLS.create(
        () -> io.distkv.common.config.TlsSettings.engine(tls, null, -1, false), TLSClosing.eagerClose())).reversed();
  }

  private static Flow<ByteString, ByteString, NotUsed> connectionFlow(RespConnection c, RespCommands commands,
      Settings s) {
    long idleNanos = s.idleTimeout().toNanos();
    Duration check = Duration.ofNanos(Math.max(Duration.ofMillis(10).toNanos(), Math.min(idleNanos / 10,
        Duration.ofSeconds(5).toNanos())));
    return Flow.<ByteString>create()
        .<Object>map(b -> b)
        .merge(Source.tick(check, check, IDLE_CHECK), true) // ends with the connection's input
        .statefulMapConcat(() -> {
          RespRequestParser parser = new RespRequestParser(s.maxBulkBytes(), s.maxRequestBytes(), s.maxArgs());
          return in -> {
            if (in == IDLE_CHECK) {
              // Idle = nothing in flight and no traffic either way for idleTimeout: a request
              // that takes long (add-node) keeps its connection.
              return c.idleFor(System.nanoTime()) > idleNanos ? List.<Object>of(IDLE_CHECK) : List.of();
            }
            c.active(System.nanoTime());
            return new java.util.ArrayList<Object>(parser.feed(((ByteString) in).toArray()));
          };
        })
        .mapAsync(s.maxInFlight(), item -> item == IDLE_CHECK
            ? CompletableFuture.completedFuture(new Out(new byte[0], true)) : handle(c, commands, (RespRequestParser.Item) item))
        .takeWhile(out -> !out.last(), true)
        .map(out -> ByteString.fromArrayUnsafe(out.bytes()));
  }

  private static CompletionStage<Out> handle(RespConnection c, RespCommands commands, RespRequestParser.Item item) {
    if (item instanceof RespRequestParser.Broken b) {
      return CompletableFuture.completedFuture(new Out(RespReply.error("Protocol error: " + b.reason()).encode(c.protocol),
          true));
    }
    if (item instanceof RespRequestParser.Oversized o) {
      return CompletableFuture.completedFuture(new Out(RespReply.error("Protocol error: a bulk string of " + o.bytes()
          + " bytes is over the limit of " + o.limit() + " bytes (distkv.limits)").encode(c.protocol), false));
    }
    List<byte[]> args = ((RespRequestParser.Request) item).args();
    List<byte[]> keys = commands.keysOf(args);
    // After the connection's earlier requests on the same keys (a request without keys runs at
    // once, so HELLO, QUIT, READONLY take effect in order as the stream hands them over).
    c.started();
    CompletableFuture<RespReply> reply = c.after(keys).thenCompose(x -> commands.execute(c, args)).toCompletableFuture();
    reply.whenComplete((r, t) -> c.finished(System.nanoTime()));
    c.track(keys, reply);
    // Read after execute: HELLO switches the protocol for its own reply, QUIT closes after its.
    int protocol = c.protocol;
    boolean last = c.closing;
    return reply.thenApply(r -> new Out(r.encode(protocol), last));
  }

  /** The address the server listens on (its port, if 0 was asked). */
  public InetSocketAddress address() {
    return binding.localAddress();
  }

  /** Stops accepting connections (open ones end with the ActorSystem). */
  @Override
  public void close() {
    try {
      binding.unbind().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("unbinding RESP on {} failed: {}", binding.localAddress(), e.toString());
    }
  }
}
