package io.distkv.client;

import com.typesafe.config.ConfigFactory;
import io.distkv.common.concurrent.Ask;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.ShuttingDownException;
import io.distkv.common.error.UnavailableException;
import io.distkv.common.config.Remoting;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.KvResult;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * The dist-kv Java client (async). Connects to a cluster over Pekko remoting as a non-member
 * ActorSystem, learns the partition map from a contact point, and sends each request to the router
 * of the node that leads the key's partition (so the router's hop is local); the leader cache is
 * refreshed by every answer and dropped on NOT_LEADER or silence. With
 * {@link ClientSettings.Transport#RESP} it speaks to the nodes' RESP ports instead, as a user with
 * a role ({@link RespTransport}); the API is the same.
 *
 * <p>Every method returns at once. Bad input (null or empty key, oversized key or value, closed
 * client) fails the returned stage with {@link InvalidArgumentException} or
 * {@link ShuttingDownException} and sends nothing. Cluster errors fail it with the common error
 * model's typed exceptions ({@link DistKvException} subclasses); a missing key is an empty
 * {@link Optional}, a failed condition a {@link WriteResult} with {@code applied == false}.
 * NOT_LEADER, TIMEOUT, BUSY, UNAVAILABLE and unanswered attempts are retried with backoff (at most
 * {@link ClientSettings#maxRetries()} times, within {@link ClientSettings#requestTimeout()}); a
 * retried write carries the same client id and sequence, so it applies once.
 *
 * <p>Thread-safe; one instance per application is enough. {@link #blocking()} gives the blocking
 * facade. Close it when done.
 */
public final class DistKvClient implements AutoCloseable {
  private final ClientSettings settings;
  private final ActorSystem<?> system;
  /** The client started its system (and stops it at close), or was attached to a node's. */
  private final boolean ownsSystem;
  /** The Artery transport's routing, or null with the RESP transport. */
  private final Routing routing;
  /** The RESP transport, or null with Artery. */
  private final RespTransport resp;
  private final WriteSession session;
  private volatile boolean closed;

  private DistKvClient(ClientSettings settings, ActorSystem<?> system, boolean ownsSystem, Routing routing,
      RespTransport resp) {
    this.settings = settings;
    this.system = system;
    this.ownsSystem = ownsSystem;
    this.routing = routing;
    this.resp = resp;
    this.session = new WriteSession(settings.clientId());
  }

  /** How long {@link #attach} waits at least for its node's cluster map. */
  public static final Duration ATTACH_BOOTSTRAP = Duration.ofSeconds(60);

  /**
   * A client inside an existing ActorSystem (a node's: its RESP server routes through it as a
   * Java client would): its inbox is a system actor named {@code inboxName}, which lives as long
   * as the system; close() does not stop the system. EVENTUAL reads go to node {@code localNode}'s
   * own replica when it has one. Fetches the cluster map as {@link #connect} does, waiting up to
   * {@link #ATTACH_BOOTSTRAP} (or the request timeout if longer): the contact is the node itself,
   * whose router answers once its partitions have started, which on a loaded small machine took
   * longer than a request's 5 s (seen: 64 partitions on -Xmx256m, and the node failed to start).
   */
  public static DistKvClient attach(ActorSystem<?> system, ClientSettings settings, String inboxName, String localNode) {
    java.util.concurrent.atomic.AtomicReference<Routing> routingRef = new java.util.concurrent.atomic.AtomicReference<>();
    ActorRef<Replies> inbox = system.systemActorOf(Behaviors.receive(Replies.class)
        .onMessage(Replies.class, r -> {
          routingRef.get().onReplies(r);
          return Behaviors.same();
        }).build(), inboxName, org.apache.pekko.actor.typed.Props.empty());
    Routing routing = new Routing(system, inbox, settings);
    routing.preferLocal(localNode);
    routingRef.set(routing);
    try {
      Duration requestTimeout = settings.requestTimeout();
      routing.bootstrap(requestTimeout.compareTo(ATTACH_BOOTSTRAP) > 0 ? requestTimeout : ATTACH_BOOTSTRAP);
    } catch (RuntimeException e) {
      routing.close();
      org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system).stop(
          org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(inbox));
      throw e;
    }
    return new DistKvClient(settings, system, false, routing, null);
  }

  /**
   * Starts the client's ActorSystem and fetches the cluster map from the first contact point that
   * answers; throws {@link UnavailableException} naming the contact points when none does within
   * the request timeout. With {@link ClientSettings.Transport#RESP} it starts no ActorSystem: it
   * connects to the first contact point's RESP port that accepts it (logging in as the settings'
   * user) and reads the cluster map there.
   */
  public static DistKvClient connect(ClientSettings settings) {
    if (settings.transport() == ClientSettings.Transport.RESP) {
      RespTransport resp = new RespTransport(settings);
      try {
        resp.bootstrap();
      } catch (RuntimeException e) {
        resp.close();
        throw e;
      }
      return new DistKvClient(settings, null, false, null, resp);
    }
    // The system's guardian is the client's one inbox: every key request names it as its reply
    // path, so answers arrive at a stable, compressible address and are matched by id.
    java.util.concurrent.atomic.AtomicReference<Routing> routingRef = new java.util.concurrent.atomic.AtomicReference<>();
    ActorSystem<Replies> system = ActorSystem.create(Behaviors.receive(Replies.class)
        .onMessage(Replies.class, r -> {
          routingRef.get().onReplies(r);
          return Behaviors.same();
        }).build(), "distkv-client", ConfigFactory.parseString(
        "pekko.loglevel = ERROR\npekko.stdout-loglevel = OFF\npekko.coordinated-shutdown.run-by-jvm-shutdown-hook = off")
        .withFallback(Remoting.artery(settings.host(), settings.port(), settings.tls().arteryConfig()))
        .withFallback(ConfigFactory.load()));
    Routing routing = new Routing(system, system, settings);
    routingRef.set(routing);
    try {
      routing.bootstrap(settings.requestTimeout());
    } catch (RuntimeException e) {
      routing.close();
      terminate(system);
      throw e;
    }
    return new DistKvClient(settings, system, true, routing, null);
  }

  /** Attempts sent (by node), retries, unanswered attempts, and the nodes currently skipped as silent. */
  public ClientStats stats() {
    return resp != null ? resp.stats() : routing.stats();
  }

  /**
   * Traces one request in {@code oneIn} (1 = every request, 0 = none): the leader's node stamps
   * its stages ({@link io.distkv.common.protocol.Trace}) and {@code sink} gets the stamps of each
   * traced request that succeeded, on the client's inbox thread (it must not block).
   */
  public void trace(int oneIn, java.util.function.Consumer<long[]> sink) {
    if (resp != null) {
      if (oneIn != 0) {
        throw new UnsupportedOperationException("request tracing needs the Artery transport (distkv.client.transport)");
      }
      return; // nothing to trace, nothing to stop
    }
    routing.trace(oneIn, sink);
  }

  /** Connects with {@code conf/client.conf}-style settings found by {@link ClientSettings#fromFile}. */
  public static DistKvClient connect(java.nio.file.Path clientConf) {
    return connect(ClientSettings.fromFile(clientConf));
  }

  public ClientSettings settings() {
    return settings;
  }

  /** The blocking facade over this client (same connection). */
  public BlockingDistKvClient blocking() {
    return new BlockingDistKvClient(this);
  }

  /** The partition {@code key} hashes to (batches must keep to one). */
  public int partitionOf(byte[] key) {
    byte[] k = settings.limits().checkKey(key);
    return resp != null ? resp.partitionOf(k) : routing.partitioner().indexOf(k);
  }

  // ---- reads

  public CompletionStage<Optional<Versioned>> get(byte[] key) {
    return get(key, Consistency.LINEARIZABLE);
  }

  /**
   * The key's value and version. LINEARIZABLE (default) reads through the partition's leader and
   * sees every write acknowledged before it started; EVENTUAL reads one replica's current state
   * (possibly stale), and still answers on the minority side of a split.
   */
  public CompletionStage<Optional<Versioned>> get(byte[] key, Consistency consistency) {
    return guarded(() -> {
      byte[] k = settings.limits().checkKey(key);
      Consistency c = consistency == null ? Consistency.LINEARIZABLE : consistency;
      if (resp != null) {
        return resp.get(k, c);
      }
      int p = partitionOf(k);
      return routing.call(p, c == Consistency.LINEARIZABLE, (id, t, traced, reply) -> new ClientProtocol.Get(id, t, traced, k,
          c, reply))
          .thenApply(r -> {
            KvResult res = result(r);
            return res.code() == ErrorCode.NOT_FOUND ? Optional.<Versioned>empty()
                : Optional.of(new Versioned(res.value(), res.version()));
          });
    });
  }

  // ---- writes

  /** Writes {@code value} under {@code key}; completes with the new version. */
  public CompletionStage<Long> put(byte[] key, byte[] value) {
    return guarded(() -> {
      byte[] k = checkKey(key);
      byte[] v = settings.limits().checkValue(value);
      return resp != null ? resp.put(k, v) : write(List.of(KvCommand.Op.put(k, v))).thenApply(KvResult::version);
    });
  }

  /** Deletes {@code key} (deleting a missing key succeeds); completes with the delete's version. */
  public CompletionStage<Long> delete(byte[] key) {
    return guarded(() -> {
      byte[] k = checkKey(key);
      return resp != null ? resp.delete(k) : write(List.of(KvCommand.Op.delete(k))).thenApply(KvResult::version);
    });
  }

  /** Deletes the key; completes with whether it had a live value (decided in log order, exactly). */
  public CompletionStage<Boolean> remove(byte[] key) {
    return guarded(() -> {
      byte[] k = checkKey(key);
      return resp != null ? resp.remove(k) : write(List.of(KvCommand.Op.delete(k)))
          .thenApply(r -> r.value() != null && r.value().length == 1 && r.value()[0] == 1);
    });
  }

  /** Writes only if the key has no live value; not applied = the existing version. */
  public CompletionStage<WriteResult> putIfAbsent(byte[] key, byte[] value) {
    return guarded(() -> {
      byte[] k = checkKey(key);
      byte[] v = settings.limits().checkValue(value);
      return resp != null ? resp.compareAndSet(k, 0, v) // expected version 0: only if absent
          : write(List.of(KvCommand.Op.putIfAbsent(k, v))).thenApply(DistKvClient::conditional);
    });
  }

  /**
   * Writes only if the key's version is {@code expectedVersion} (0 = the key must be absent); not
   * applied = the current version (0 = absent).
   */
  public CompletionStage<WriteResult> compareAndSet(byte[] key, long expectedVersion, byte[] value) {
    return guarded(() -> {
      if (expectedVersion < 0) {
        throw new InvalidArgumentException("expected version must be >= 0, was " + expectedVersion);
      }
      if (resp != null) {
        return resp.compareAndSet(checkKey(key), expectedVersion, settings.limits().checkValue(value));
      }
      return write(List.of(KvCommand.Op.compareAndSet(checkKey(key), expectedVersion, settings.limits().checkValue(value))))
          .thenApply(DistKvClient::conditional);
    });
  }

  /**
   * Adds {@code delta} to the key's value, a decimal 64-bit integer (absent = 0), as one
   * replicated command: concurrent increments from any clients are never lost. Completes with the
   * sum; fails with INVALID_ARGUMENT if the value is not such an integer or the sum overflows.
   */
  public CompletionStage<Long> incrementBy(byte[] key, long delta) {
    return guarded(() -> {
      byte[] k = checkKey(key);
      return resp != null ? resp.incrementBy(k, delta) : write(List.of(KvCommand.Op.increment(k, delta)))
          .thenApply(r -> Long.parseLong(new String(r.value(), StandardCharsets.US_ASCII)));
    });
  }

  /** Applies the batch atomically (see {@link Batch}: one partition only). */
  public CompletionStage<WriteResult> batch(Batch batch) {
    return guarded(() -> {
      if (batch == null || batch.ops.isEmpty()) {
        throw new InvalidArgumentException("a batch needs at least one write");
      }
      int p = -1;
      for (KvCommand.Op op : batch.ops) {
        checkKey(op.key());
        if (op.value() != null) {
          settings.limits().checkValue(op.value());
        }
        int q = partitionOf(op.key());
        if (p >= 0 && q != p) {
          throw new InvalidArgumentException("a batch is atomic within one partition; its keys span partitions "
              + p + " and " + q + " (key '" + new String(op.key(), StandardCharsets.UTF_8) + "')");
        }
        p = q;
      }
      return resp != null ? resp.batch(batch.ops) : write(batch.ops).thenApply(DistKvClient::conditional);
    });
  }

  private CompletionStage<KvResult> write(List<KvCommand.Op> ops) {
    long seq = session.begin();
    KvCommand command = new KvCommand(session.clientId(), seq, session.firstUnacked(seq), ops);
    int p = partitionOf(ops.get(0).key());
    return routing.call(p, true, (id, t, traced, reply) -> new ClientProtocol.Write(id, t, traced, command, reply))
        .whenComplete((r, e) -> session.acknowledged(seq))
        .thenApply(DistKvClient::result);
  }

  private static WriteResult conditional(KvResult r) {
    return switch (r.code()) {
      case OK -> new WriteResult(true, r.version());
      case CONFLICT, ALREADY_EXISTS -> new WriteResult(false, r.version());
      default -> throw DistKvException.of(r.code(), "unexpected write answer", null);
    };
  }

  // ---- scans

  public CompletionStage<ScanPage> scan(byte[] start, byte[] end, int limit) {
    return scan(start, end, limit, Consistency.LINEARIZABLE);
  }

  /**
   * The first page of live keys in [start, end) (null = unbounded), at most {@code limit}
   * (1..{@value ClientProtocol#MAX_SCAN_LIMIT}) entries and about 1 MiB, in unsigned key order
   * across all partitions.
   */
  public CompletionStage<ScanPage> scan(byte[] start, byte[] end, int limit, Consistency consistency) {
    return guarded(() -> {
      if (limit < 1 || limit > ClientProtocol.MAX_SCAN_LIMIT) {
        throw new InvalidArgumentException("scan limit must be 1.." + ClientProtocol.MAX_SCAN_LIMIT + ", was " + limit);
      }
      Consistency c = consistency == null ? Consistency.LINEARIZABLE : consistency;
      if (start != null && end != null && io.distkv.common.Keys.compare(start, end) >= 0) {
        return CompletableFuture.completedFuture(new ScanPage(List.of(), null, end, limit, c));
      }
      if (resp != null) {
        return resp.scan(start, end, limit, c);
      }
      // Every partition's first keys of the range, from its leader (or any replica, EVENTUAL),
      // merged here in key order.
      int n = routing.partitionCount();
      List<CompletableFuture<Reply>> parts = new ArrayList<>(n);
      for (int p = 0; p < n; p++) {
        int partition = p;
        parts.add(routing.call(p, c == Consistency.LINEARIZABLE, (id, t, traced, reply) ->
            new ClientProtocol.ScanPartition(id, t, traced, partition, start, end, limit, c, reply)));
      }
      return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> merge(parts, end, limit, c));
    });
  }

  private static ScanPage merge(List<CompletableFuture<Reply>> parts, byte[] end, int limit, Consistency c) {
    List<ScanEntry> all = new ArrayList<>();
    boolean partitionHasMore = false;
    for (int p = 0; p < parts.size(); p++) {
      Reply r = parts.get(p).join();
      if (!r.isOk()) {
        throw DistKvException.of(r.code(), "partition " + p + ": " + r.message(), r.leaderHint());
      }
      all.addAll(r.scan().entries());
      partitionHasMore |= r.scan().more();
    }
    all.sort((a, b) -> io.distkv.common.Keys.compare(a.key(), b.key()));
    List<KeyValue> page = new ArrayList<>();
    long bytes = 0;
    for (ScanEntry e : all) {
      if (page.size() == limit || (!page.isEmpty() && bytes >= ClientProtocol.SCAN_PAGE_BYTES)) {
        break;
      }
      page.add(new KeyValue(e.key(), e.value(), e.version()));
      bytes += e.key().length + e.value().length;
    }
    boolean more = page.size() < all.size() || partitionHasMore;
    byte[] nextStart = null;
    if (more && !page.isEmpty()) {
      byte[] last = page.get(page.size() - 1).key();
      nextStart = java.util.Arrays.copyOf(last, last.length + 1); // the smallest key after the last one returned
    }
    return new ScanPage(page, nextStart, end, limit, c);
  }

  /** The page after {@code page} (same end, limit and consistency); fails if {@code !page.hasMore()}. */
  public CompletionStage<ScanPage> nextPage(ScanPage page) {
    if (!page.hasMore()) {
      return CompletableFuture.failedFuture(new InvalidArgumentException("the scan has no further page"));
    }
    return scan(page.nextStart(), page.end(), page.limit(), page.consistency());
  }

  // ---- cluster

  /** Nodes, partitions, their leaders and states, as a node sees them now (also refreshes the client's map). */
  public CompletionStage<ClusterInfo> clusterInfo() {
    return guarded(() -> resp != null ? resp.clusterInfo() : routing.<ClusterInfo>callAny(ClientProtocol.GetClusterInfo::new)
        .thenApply(info -> {
          routing.update(info);
          return info;
        }));
  }

  /** The node leading {@code key}'s partition now, if it has a leader. */
  public CompletionStage<Optional<String>> leaderFor(byte[] key) {
    return guarded(() -> {
      int p = partitionOf(key);
      return clusterInfo().thenApply(info -> {
        PartitionInfo pi = info.partitions().get(p);
        return Optional.ofNullable(pi.leader());
      });
    });
  }

  /** Asks partition {@code partition}'s leader to hand over to {@code node} (completes when the hand-over started). */
  public CompletionStage<Void> transferLeader(int partition, String node) {
    return guarded(() -> {
      int partitions = resp != null ? resp.partitionCount() : routing.partitionCount();
      if (partition < 0 || partition >= partitions) {
        throw new InvalidArgumentException("no partition " + partition + " (the cluster has " + partitions + ")");
      }
      if (resp != null) {
        return resp.transferLeader(partition, node);
      }
      return routing.call(partition, true, (id, t, traced, reply) -> new ClientProtocol.TransferLeader(id, t, traced,
          partition, node, reply))
          .thenApply(r -> {
            if (!r.isOk()) {
              throw DistKvException.of(r.code(), r.message(), r.leaderHint());
            }
            return (Void) null;
          });
    });
  }

  // ---- membership (admin)

  /** How long add-node, remove-node and rebalance may take before the client stops waiting. */
  public static final Duration MEMBERSHIP_TIMEOUT = Duration.ofMinutes(10);

  /**
   * Places replicas on {@code node}, a node that has joined the cluster (started with the cluster's
   * seed nodes) but holds none: the next placement moves the fewest replicas needed to level the
   * load, each moved with Raft membership changes (learner → catch up → voter → old replica
   * removed). Completes with the summary when every move is done; waits up to
   * {@link #MEMBERSHIP_TIMEOUT}.
   */
  public CompletionStage<String> addNode(String node) {
    return membership(ClientProtocol.MembershipOp.ADD_NODE, requireNode(node));
  }

  /** Moves every replica off {@code node}; afterwards it holds none and can be stopped. */
  public CompletionStage<String> removeNode(String node) {
    return membership(ClientProtocol.MembershipOp.REMOVE_NODE, requireNode(node));
  }

  /** Brings every partition's replicas in line with the current placement (finishes an interrupted change). */
  public CompletionStage<String> rebalance() {
    return membership(ClientProtocol.MembershipOp.REBALANCE, null);
  }

  private static String requireNode(String node) {
    if (node == null || node.isBlank()) {
      throw new InvalidArgumentException("a node id is required");
    }
    return node;
  }

  private CompletionStage<String> membership(ClientProtocol.MembershipOp op, String node) {
    if (resp != null) {
      // the cluster map changed: read it again (partition count and leaders)
      return guarded(() -> resp.membership(op, node, MEMBERSHIP_TIMEOUT)
          .thenCompose(m -> resp.clusterInfo().thenApply(i -> m)));
    }
    return guarded(() -> routing.once(reply -> new ClientProtocol.ChangeMembers(op, node, reply), MEMBERSHIP_TIMEOUT)
        .thenCompose(r -> {
          if (!r.isOk()) {
            throw DistKvException.of(r.code(), r.message(), null);
          }
          return clusterInfo().thenApply(info -> r.message()); // the cluster map changed
        }));
  }

  // ---- plumbing

  private byte[] checkKey(byte[] key) {
    return settings.limits().checkKey(key);
  }

  /** OK → the partition's answer; a routing error → its typed exception. */
  private static KvResult result(Reply r) {
    if (!r.isOk()) {
      throw DistKvException.of(r.code(), r.message(), r.leaderHint());
    }
    KvResult res = r.result();
    if (res.code() == ErrorCode.INVALID_ARGUMENT) {
      throw new InvalidArgumentException(res.value() == null ? "refused by the partition"
          : new String(res.value(), StandardCharsets.UTF_8));
    }
    return res;
  }

  private <T> CompletionStage<T> guarded(java.util.function.Supplier<CompletionStage<T>> body) {
    if (closed) {
      return CompletableFuture.failedFuture(new ShuttingDownException("the client is closed"));
    }
    try {
      return body.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Stops the client's ActorSystem; requests still running fail. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (resp != null) {
        resp.close();
        return;
      }
      routing.close();
      if (ownsSystem) {
        terminate(system);
      }
    }
  }

  private static void terminate(ActorSystem<?> system) {
    system.terminate();
    try {
      system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      // the JVM's daemon threads end with it anyway
    }
  }

  /** Asks with a timeout; a missing answer completes exceptionally (TimeoutException). */
  static <R> CompletionStage<R> ask(ActorSystem<?> system, ActorRef<RouterCommand> to,
      Function<ActorRef<R>, RouterCommand> msg, Duration timeout) {
    return Ask.ask(to, msg, timeout, system.scheduler());
  }
}
