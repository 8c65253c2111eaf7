package io.distkv.client;

import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InternalException;
import io.distkv.common.error.RequestTimeoutException;
import io.distkv.common.error.UnavailableException;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.MembershipOp;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.PartitionState;
import io.distkv.common.protocol.RespWire;
import io.distkv.common.protocol.ScanToken;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The Java client's RESP transport ({@code distkv.client.transport = resp}, docs/client.md): the
 * client speaks to the nodes' RESP ports (the client port, with TLS and a user with a role)
 * instead of joining their Artery network. One pipelined connection for linearizable requests and
 * one READONLY connection for EVENTUAL reads, both to the first contact point that answers; the
 * node routes each request to its partition's leader. A broken connection is replaced by one to
 * the next contact point; reads, scans and cluster queries are sent again once, writes are not (a
 * write in flight when its connection broke fails with UNAVAILABLE: it may or may not have
 * applied).
 */
final class RespTransport implements AutoCloseable {
  private final ClientSettings settings;
  private final javax.net.ssl.SSLContext tls;
  private final Object connecting = new Object();
  private volatile RespChannel writes;
  private volatile RespChannel eventualReads;
  /** The contact point the next connection tries first. */
  private int next;
  private volatile Partitioner partitioner;
  private final AtomicLong attempts = new AtomicLong();
  private final AtomicLong retries = new AtomicLong();
  private final AtomicLong unanswered = new AtomicLong();
  private final Map<String, AtomicLong> byEndpoint = new ConcurrentHashMap<>();
  private volatile boolean closed;

  RespTransport(ClientSettings settings) {
    this.settings = settings;
    this.tls = settings.tls().sslContextIfEnabled();
  }

  /** Connects and reads the cluster map (partition count, hash tags); throws when no contact point answers. */
  void bootstrap() {
    try {
      clusterInfo().toCompletableFuture().get(settings.requestTimeout().toMillis() * 2, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new CompletionException(e.getCause());
    } catch (TimeoutException e) {
      throw new UnavailableException("no dist-kv node answered at " + settings.contactPoints() + " within "
          + settings.requestTimeout().toMillis() * 2 + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while connecting");
    }
  }

  int partitionOf(byte[] key) {
    return partitioner.indexOf(key);
  }

  int partitionCount() {
    return partitioner.partitionCount();
  }

  // ---- key requests

  CompletionStage<Optional<Versioned>> get(byte[] key, Consistency c) {
    return send(c == Consistency.EVENTUAL, true, reply -> {
      if (reply == null) {
        return Optional.<Versioned>empty();
      }
      List<?> vv = (List<?>) reply;
      return Optional.of(new Versioned((byte[]) vv.get(0), (Long) vv.get(1)));
    }, "DKV.GETV", key);
  }

  CompletionStage<Long> put(byte[] key, byte[] value) {
    return send(false, false, Long.class::cast, "DKV.SET", key, value);
  }

  CompletionStage<Long> delete(byte[] key) {
    return send(false, false, Long.class::cast, "DKV.DEL", key);
  }

  CompletionStage<Boolean> remove(byte[] key) {
    return send(false, false, r -> (Long) r == 1L, "DEL", key);
  }

  CompletionStage<WriteResult> compareAndSet(byte[] key, long expected, byte[] value) {
    return send(false, false, RespTransport::writeResult, "DKV.CAS", key, expected, value);
  }

  CompletionStage<Long> incrementBy(byte[] key, long delta) {
    return send(false, false, Long.class::cast, "INCRBY", key, delta);
  }

  /** DKV.BATCH: the ops, checked by the caller (one partition), applied atomically by the node. */
  CompletionStage<WriteResult> batch(List<KvCommand.Op> ops) {
    List<Object> parts = new ArrayList<>();
    parts.add("DKV.BATCH");
    for (KvCommand.Op op : ops) {
      switch (op.kind()) {
        case PUT -> parts.addAll(List.of("SET", op.key(), op.value()));
        case DELETE -> parts.addAll(List.of("DEL", op.key()));
        case PUT_IF_ABSENT -> parts.addAll(List.of("SETNX", op.key(), op.value()));
        case COMPARE_AND_SET -> parts.addAll(List.of("CAS", op.key(), op.expectedVersion(), op.value()));
        default -> throw new io.distkv.common.error.InvalidArgumentException("a batch cannot hold " + op.kind());
      }
    }
    return send(false, false, RespTransport::writeResult, parts.toArray());
  }

  private static WriteResult writeResult(Object reply) {
    List<?> r = (List<?>) reply;
    return new WriteResult((Long) r.get(0) == 1L, (Long) r.get(1));
  }

  CompletionStage<ScanPage> scan(byte[] start, byte[] end, int limit, Consistency c) {
    List<Object> parts = new ArrayList<>(List.of("DKV.SCAN"));
    if (start != null) {
      parts.addAll(List.of("FROM", start));
    }
    if (end != null) {
      parts.addAll(List.of("TO", end));
    }
    parts.addAll(List.of("COUNT", limit));
    return send(c == Consistency.EVENTUAL, true, reply -> {
      List<?> r = (List<?>) reply;
      String token = new String((byte[]) r.get(0), StandardCharsets.UTF_8);
      List<KeyValue> entries = new ArrayList<>();
      for (Object e : (List<?>) r.get(1)) {
        List<?> kv = (List<?>) e;
        entries.add(new KeyValue((byte[]) kv.get(0), (byte[]) kv.get(1), (Long) kv.get(2)));
      }
      return new ScanPage(entries, token.isEmpty() ? null : ScanToken.decode(token), end, limit, c);
    }, parts.toArray());
  }

  // ---- cluster

  CompletionStage<ClusterInfo> clusterInfo() {
    return send(false, true, reply -> {
      ClusterInfo info = clusterInfo(pairs(reply));
      partitioner = new Partitioner(info.partitionCount(), info.hashTags());
      return info;
    }, "DKV.STATUS");
  }

  /** DKV.STATUS's answer (docs/resp.md) as the Java client's cluster map. */
  private static ClusterInfo clusterInfo(Map<String, Object> status) {
    List<NodeInfo> nodes = new ArrayList<>();
    for (Object o : (List<?>) status.get("nodes")) {
      Map<String, Object> n = pairs(o);
      nodes.add(new NodeInfo(text(n.get("id")), text(n.get("address")), (Long) n.get("reachable") == 1L,
          ((Long) n.get("replicas")).intValue(), ((Long) n.get("leaders")).intValue()));
    }
    List<PartitionInfo> partitions = new ArrayList<>();
    for (Object o : (List<?>) status.get("partition_table")) {
      Map<String, Object> p = pairs(o);
      List<String> replicas = new ArrayList<>();
      for (Object r : (List<?>) p.get("replicas")) {
        replicas.add(text(r));
      }
      partitions.add(new PartitionInfo(((Long) p.get("partition")).intValue(), replicas,
          p.get("leader") == null ? null : text(p.get("leader")), (Long) p.get("term"), (Long) p.get("commit"),
          PartitionState.valueOf(text(p.get("state"))), (Long) p.get("keys")));
    }
    return new ClusterInfo(((Long) status.get("partitions")).intValue(), nodes, partitions,
        (Long) status.get("hash_tags") == 1L);
  }

  /** A RESP2 map: a flat array of keys and values. */
  private static Map<String, Object> pairs(Object reply) {
    List<?> flat = (List<?>) reply;
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put(text(flat.get(i)), flat.get(i + 1));
    }
    return m;
  }

  private static String text(Object bulk) {
    return bulk instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : String.valueOf(bulk);
  }

  CompletionStage<Void> transferLeader(int partition, String node) {
    return send(false, false, r -> (Void) null, "DKV.TRANSFERLEADER", partition, node);
  }

  CompletionStage<String> membership(MembershipOp op, String node, Duration timeout) {
    Object[] parts = switch (op) {
      case ADD_NODE -> new Object[] {"DKV.ADDNODE", node};
      case REMOVE_NODE -> new Object[] {"DKV.REMOVENODE", node};
      case REBALANCE -> new Object[] {"DKV.REBALANCE"};
    };
    return send(false, false, timeout, RespTransport::text, parts);
  }

  ClientStats stats() {
    Map<String, Long> by = new HashMap<>();
    byEndpoint.forEach((e, n) -> by.put(e, n.get()));
    return new ClientStats(attempts.get(), retries.get(), unanswered.get(), by, java.util.Set.of());
  }

  // ---- plumbing

  private <T> CompletionStage<T> send(boolean eventual, boolean idempotent, Function<Object, T> decode, Object... parts) {
    return send(eventual, idempotent, settings.requestTimeout().plus(settings.attemptTimeout()), decode, parts);
  }

  /**
   * Sends {@code parts} on the right connection and decodes the reply; an error reply fails the
   * stage with its dist-kv exception. An {@code idempotent} request whose connection broke is sent
   * once more, on a new connection.
   */
  private <T> CompletionStage<T> send(boolean eventual, boolean idempotent, Duration timeout, Function<Object, T> decode,
      Object... parts) {
    CompletableFuture<Object> first = attempt(eventual, timeout, parts);
    CompletableFuture<Object> reply = !idempotent ? first : first.handle((r, t) -> {
      if (t != null && cause(t) instanceof UnavailableException && !closed) {
        retries.incrementAndGet();
        return attempt(eventual, timeout, parts);
      }
      return t == null ? CompletableFuture.completedFuture(r) : CompletableFuture.failedFuture(cause(t));
    }).thenCompose(f -> f);
    return reply.thenApply(r -> {
      if (r instanceof RespWire.Error e) {
        throw exception(e);
      }
      return decode.apply(r);
    });
  }

  private CompletableFuture<Object> attempt(boolean eventual, Duration timeout, Object[] parts) {
    RespChannel ch;
    try {
      ch = channel(eventual);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    attempts.incrementAndGet();
    byEndpoint.computeIfAbsent(ch.endpoint(), x -> new AtomicLong()).incrementAndGet();
    return ch.call(parts).orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).exceptionallyCompose(t -> {
      if (cause(t) instanceof TimeoutException) {
        unanswered.incrementAndGet();
        return CompletableFuture.failedFuture(new RequestTimeoutException(ch.endpoint() + " did not answer "
            + parts[0] + " within " + timeout.toMillis() + " ms"));
      }
      return CompletableFuture.failedFuture(cause(t));
    });
  }

  /** The open connection of its kind, or a new one to the first contact point that accepts it. */
  private RespChannel channel(boolean eventual) {
    RespChannel ch = eventual ? eventualReads : writes;
    if (ch != null && !ch.isBroken()) {
      return ch;
    }
    synchronized (connecting) {
      ch = eventual ? eventualReads : writes;
      if (ch != null && !ch.isBroken()) {
        return ch;
      }
      if (closed) {
        throw new io.distkv.common.error.ShuttingDownException("the client is closed");
      }
      List<String> points = settings.contactPoints();
      List<String> failures = new ArrayList<>();
      for (int i = 0; i < points.size(); i++) {
        String endpoint = points.get((next + i) % points.size());
        try {
          ch = login(RespChannel.open(endpoint, tls, settings.attemptTimeout()), eventual);
          next = (next + i + 1) % points.size(); // the other kind of connection goes elsewhere next time
          if (eventual) {
            eventualReads = ch;
          } else {
            writes = ch;
          }
          return ch;
        } catch (IOException | UnavailableException | RequestTimeoutException e) {
          failures.add(endpoint + " (" + e.getMessage() + ")");
        }
      }
      throw new UnavailableException("cannot reach a dist-kv node's RESP port at " + String.join(", ", failures));
    }
  }

  /** AUTH (when the settings name a password) and READONLY (eventual reads) on a new connection. */
  private RespChannel login(RespChannel ch, boolean eventual) {
    try {
      if (settings.password() != null && !settings.password().isEmpty()) {
        expectOk(ch, settings.user() == null || settings.user().isEmpty()
            ? new Object[] {"AUTH", settings.password()} : new Object[] {"AUTH", settings.user(), settings.password()});
      }
      if (eventual) {
        expectOk(ch, new Object[] {"READONLY"});
      }
      return ch;
    } catch (RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private void expectOk(RespChannel ch, Object[] parts) {
    Object r;
    try {
      r = ch.call(parts).get(settings.attemptTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.ExecutionException e) {
      throw cause(e) instanceof RuntimeException re ? re : new UnavailableException(String.valueOf(cause(e)));
    } catch (TimeoutException e) {
      throw new RequestTimeoutException(ch.endpoint() + " did not answer " + parts[0]);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UnavailableException("interrupted while connecting to " + ch.endpoint());
    }
    if (r instanceof RespWire.Error e) {
      throw exception(e);
    }
  }

  /**
   * A node's error reply as the exception the Artery transport raises for the same failure: the
   * dist-kv code after the Redis prefix ("TRYAGAIN NOT_LEADER ...", "ERR INVALID_ARGUMENT ..."),
   * NOPERM as PERMISSION_DENIED, NOAUTH and WRONGPASS as UNAUTHENTICATED, any other ERR as
   * INVALID_ARGUMENT.
   */
  static DistKvException exception(RespWire.Error e) {
    String m = e.message();
    switch (e.prefix()) {
      case "NOPERM":
        return DistKvException.of(ErrorCode.PERMISSION_DENIED, m, null);
      case "NOAUTH":
      case "WRONGPASS":
        return DistKvException.of(ErrorCode.UNAUTHENTICATED, m, null);
      default:
        break;
    }
    String rest = m.substring(Math.min(m.length(), e.prefix().length() + 1));
    int sp = rest.indexOf(' ');
    String word = (sp < 0 ? rest : rest.substring(0, sp)).replaceAll(":$", "");
    for (ErrorCode c : ErrorCode.values()) {
      if (c != ErrorCode.OK && c.name().equals(word)) {
        return DistKvException.of(c, m, null);
      }
    }
    // ERR without a dist-kv code is the node refusing the request's content, in Redis's words
    // ("value is not an integer or out of range", "syntax error").
    return "ERR".equals(e.prefix()) ? new io.distkv.common.error.InvalidArgumentException(m)
        : new InternalException("the node answered: " + m, null);
  }

  private static Throwable cause(Throwable t) {
    return io.distkv.common.concurrent.Failures.cause(t);
  }

  @Override
  public void close() {
    closed = true;
    synchronized (connecting) {
      if (writes != null) {
        writes.close();
      }
      if (eventualReads != null) {
        eventualReads.close();
      }
    }
  }
}
