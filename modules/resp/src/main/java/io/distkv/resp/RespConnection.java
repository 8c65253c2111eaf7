package io.distkv.resp;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What one RESP connection has negotiated: its id, the protocol version (2 until HELLO 3), its
 * name (CLIENT SETNAME), whether it reads eventually (READONLY, as on a Redis Cluster replica),
 * and who it is: the user it logged in as and that user's role (null until AUTH when the server
 * asks for it). Changed only in request order, by the connection's stream.
 * It also orders the connection's requests in flight: one that touches a key runs after the
 * connection's earlier requests on that key, one that reads the whole keyspace after all of them
 * ({@link #after}, {@link #track}).
 */
public final class RespConnection {
  private final long id;
  private final String remote;
  volatile int protocol = 2;
  volatile String name = "";
  volatile boolean readOnly;
  /** What the connection may do: null until it authenticates. */
  volatile io.distkv.common.auth.Role role;
  volatile String user = io.distkv.common.auth.Users.DEFAULT_USER;
  volatile boolean closing;
  /** The latest request in flight on each key. */
  private final Map<ByteBuffer, CompletableFuture<?>> lastByKey = new ConcurrentHashMap<>();
  private final Set<CompletableFuture<?>> inFlight = ConcurrentHashMap.newKeySet();
  /** The latest request in flight that reads the whole keyspace (later keyed requests wait for it). */
  private volatile CompletableFuture<?> lastBarrier = CompletableFuture.completedFuture(null);

  /** Requests carried out now, and when the connection last received bytes or finished a request. */
  private final java.util.concurrent.atomic.AtomicInteger running = new java.util.concurrent.atomic.AtomicInteger();
  private volatile long lastActiveNanos = System.nanoTime();

  /** {@code authenticated}: the server asks for no AUTH, so the connection is the default user, admin. */
  public RespConnection(long id, String remote, boolean authenticated) {
    this.id = id;
    this.remote = remote;
    this.role = authenticated ? io.distkv.common.auth.Role.ADMIN : null;
  }

  public long id() {
    return id;
  }

  public String remote() {
    return remote;
  }

  public int protocol() {
    return protocol;
  }

  void active(long nowNanos) {
    lastActiveNanos = nowNanos;
  }

  void started() {
    running.incrementAndGet();
  }

  void finished(long nowNanos) {
    lastActiveNanos = nowNanos;
    running.decrementAndGet();
  }

  /** How long the connection has been idle at {@code nowNanos}: 0 while a request is in flight. */
  long idleFor(long nowNanos) {
    return running.get() > 0 ? 0 : nowNanos - lastActiveNanos;
  }

  /** What a request on {@code keys} (null: the whole keyspace) must wait for. */
  CompletableFuture<?> after(List<byte[]> keys) {
    if (keys == null) {
      return CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new));
    }
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<?>[] deps = new CompletableFuture<?>[keys.size() + 1];
    int n = 0;
    if (!lastBarrier.isDone()) {
      deps[n++] = lastBarrier;
    }
    for (byte[] k : keys) {
      CompletableFuture<?> last = lastByKey.get(ByteBuffer.wrap(k));
      if (last != null) {
        deps[n++] = last;
      }
    }
    return n == 0 ? CompletableFuture.completedFuture(null)
        : CompletableFuture.allOf(java.util.Arrays.copyOf(deps, n));
  }

  /** {@code request}, on {@code keys}, is in flight until it completes. */
  void track(List<byte[]> keys, CompletableFuture<?> request) {
    if (request.isDone()) {
      return;
    }
    inFlight.add(request);
    if (keys == null) {
      lastBarrier = request;
    } else {
      for (byte[] k : keys) {
        lastByKey.put(ByteBuffer.wrap(k), request);
      }
    }
    request.whenComplete((r, t) -> {
      inFlight.remove(request);
      if (keys != null) {
        for (byte[] k : keys) {
          lastByKey.remove(ByteBuffer.wrap(k), request);
        }
      }
    });
  }

  /** QUIT was answered: the connection closes once its replies are written. */
  public boolean closing() {
    return closing;
  }
}
