package io.distkv.client;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.RequestTimeoutException;
import io.distkv.common.error.UnavailableException;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.KeyRequest;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import io.distkv.common.protocol.Trace;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Where the client sends each request, and the one owner of its deadline and retries: the cluster
 * map (nodes and their routers, each partition's replicas), a leader cache per partition, and
 * nodes that recently did not answer (skipped while others remain).
 *
 * <p>Key requests travel with a correlation id and the client's one stable inbox (the client
 * ActorSystem's guardian) as their reply path; the node's replica answers there directly. The
 * requests in flight sit in one map by id; one sweep every {@value #SWEEP_MILLIS} ms expires
 * attempts that got no answer within the attempt timeout and starts retries whose backoff has
 * passed, so no temporary actor, ask or timer exists per request. Every attempt has its own id:
 * a late answer to an abandoned attempt finds nothing and is dropped.
 */
final class Routing {
  /**
   * Worth another attempt: the error model's retryable codes, and SHUTTING_DOWN, which only says
   * that the node asked is going away (another node can answer).
   */
  private static boolean retryable(ErrorCode code) {
    return code.retryable() || code == ErrorCode.SHUTTING_DOWN;
  }
  /** How often a silent node is probed (a {@code Ping}; its answer makes the node usable again). */
  static final long PROBE_NANOS = TimeUnit.MILLISECONDS.toNanos(250);
  /** The longest pause between retries (the backoff doubles up to it). */
  private static final long MAX_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

  /** How often in-flight attempts are checked for expiry and retries started. */
  static final long SWEEP_MILLIS = 5;

  private final ActorSystem<?> system;
  private final ActorRef<Replies> inbox;
  private final Map<Long, Call> calls = new ConcurrentHashMap<>();
  private final Map<Call, Boolean> backingOff = new ConcurrentHashMap<>();
  private final AtomicLong ids = new AtomicLong(1);
  private final AtomicLong traceCounter = new AtomicLong();
  private volatile int traceOneIn;
  private volatile Consumer<long[]> traceSink;
  private final org.apache.pekko.actor.Cancellable sweeper;
  private final ClientSettings settings;
  private final ActorRefResolver resolver;
  private final Map<String, ActorRef<RouterCommand>> routers = new ConcurrentHashMap<>();
  private final Map<Integer, String> leaders = new ConcurrentHashMap<>();
  /** Nodes that let an attempt go unanswered, with when; skipped until they answer again. */
  private final Map<String, Long> silentSince = new ConcurrentHashMap<>();
  /** Probes in flight to silent nodes: probe id → node, and when the node was last probed. */
  private final Map<Long, String> probes = new ConcurrentHashMap<>();
  private final Map<String, Long> lastProbe = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.LongAdder attempts = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder retries = new java.util.concurrent.atomic.LongAdder();
  private final java.util.concurrent.atomic.LongAdder silences = new java.util.concurrent.atomic.LongAdder();
  private final Map<String, java.util.concurrent.atomic.LongAdder> attemptsByNode = new ConcurrentHashMap<>();
  private final AtomicInteger roundRobin = new AtomicInteger();
  private volatile ClusterInfo info;

  Routing(ActorSystem<?> system, ActorRef<Replies> inbox, ClientSettings settings) {
    this.system = system;
    this.inbox = inbox;
    this.settings = settings;
    this.resolver = ActorRefResolver.get(system);
    this.sweeper = system.scheduler().scheduleAtFixedRate(Duration.ofMillis(SWEEP_MILLIS), Duration.ofMillis(SWEEP_MILLIS),
        this::sweep, system.executionContext());
  }

  /** Stops the sweep; what is still in flight fails. */
  void close() {
    sweeper.cancel();
    for (Call c : calls.values()) {
      c.out.completeExceptionally(new io.distkv.common.error.ShuttingDownException("the client is closed"));
    }
    calls.clear();
    backingOff.clear();
  }

  /** Traces one request in {@code oneIn} (0 = none, 1 = all); {@code sink} gets each traced request's stamps. */
  void trace(int oneIn, Consumer<long[]> sink) {
    this.traceSink = sink;
    this.traceOneIn = Math.max(0, oneIn);
  }

  /**
   * Fetches the cluster map from whichever contact point answers first: every contact point is
   * asked at once, so a dead one costs nothing while another answers. Rounds repeat (each waiting
   * at most the attempt timeout) until {@code within} has passed.
   */
  void bootstrap(Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (true) {
      long remaining = deadline - System.nanoTime();
      if (remaining <= 0) {
        break;
      }
      Duration wait = Duration.ofNanos(Math.max(1, Math.min(settings.attemptTimeout().toNanos(), remaining)));
      CompletableFuture<ClusterInfo> first = new CompletableFuture<>();
      AtomicInteger silent = new AtomicInteger(settings.contactPoints().size());
      for (String contact : settings.contactPoints()) {
        ActorRef<RouterCommand> router = resolver.resolveActorRef(ClientProtocol.routerPath(contact));
        DistKvClient.<ClusterInfo>ask(system, router, ClientProtocol.GetClusterInfo::new, wait).whenComplete((ci, e) -> {
          if (e == null) {
            first.complete(ci);
          } else if (silent.decrementAndGet() == 0) {
            first.completeExceptionally(e);
          }
        });
      }
      try {
        update(first.get(wait.toNanos() + TimeUnit.MILLISECONDS.toNanos(100), TimeUnit.NANOSECONDS));
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      } catch (Exception e) {
        // no contact point answered in this round; the next one asks them all again
      }
    }
    throw new UnavailableException(ErrorCode.UNAVAILABLE, "no dist-kv node answered at " + settings.contactPoints()
        + " within " + within.toMillis() + " ms (is the cluster running? `make run`)");
  }

  void update(ClusterInfo ci) {
    for (NodeInfo n : ci.nodes()) {
      routers.computeIfAbsent(n.id(), id -> resolver.resolveActorRef(n.address() + ClientProtocol.ROUTER_PATH));
    }
    for (PartitionInfo p : ci.partitions()) {
      if (p.leader() != null) {
        leaders.put(p.partition(), p.leader());
      }
    }
    info = ci;
  }

  int partitionCount() {
    return info.partitionCount();
  }

  /** Key → partition as the cluster computes it (its partition count and hash-tag setting). */
  io.distkv.common.placement.Partitioner partitioner() {
    ClusterInfo ci = info;
    io.distkv.common.placement.Partitioner p = partitioner;
    if (p == null || p.partitionCount() != ci.partitionCount() || p.hashTags() != ci.hashTags()) {
      p = new io.distkv.common.placement.Partitioner(ci.partitionCount(), ci.hashTags());
      partitioner = p;
    }
    return p;
  }

  private volatile io.distkv.common.placement.Partitioner partitioner;

  /**
   * Lets a node that did not answer talk to us again if it has restarted. A node that stops
   * gracefully tells its peers, and Artery then drops everything addressed to that address until
   * the new incarnation handshakes; a client never hears from a node first, so it would never
   * learn the new incarnation. An actor-selection message passes that block and starts the
   * handshake (Pekko's "quarantine piercing"); the router answers it with an ActorIdentity to
   * nobody.
   */
  private void reconnect(String node) {
    ActorRef<RouterCommand> router = routers.get(node);
    if (router != null) {
      org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system).actorSelection(router.path())
          .tell(new org.apache.pekko.actor.Identify(node), org.apache.pekko.actor.ActorRef.noSender());
    }
  }

  /**
   * One request to one node's router (a node not suspected), waiting up to {@code timeout}, not
   * retried: for admin operations that run long and must not run twice at once.
   */
  CompletableFuture<ClientProtocol.AdminReply> once(Function<ActorRef<ClientProtocol.AdminReply>, RouterCommand> msg,
      Duration timeout) {
    String node = choose(-1, false, null);
    CompletableFuture<ClientProtocol.AdminReply> out = new CompletableFuture<>();
    DistKvClient.<ClientProtocol.AdminReply>ask(system, routers.get(node), msg, timeout).whenComplete((reply, failure) -> {
      if (failure != null) {
        reconnect(node);
        out.completeExceptionally(new RequestTimeoutException("no answer from node " + node + " within "
            + timeout.toSeconds() + " s; the operation may still be running there"));
      } else {
        out.complete(reply);
      }
    });
    return out;
  }

  private boolean suspect(String node) {
    return silentSince.containsKey(node);
  }

  /** {@code node} let an attempt go unanswered: send it nothing until it answers a probe (or a request). */
  private void silent(String node) {
    silences.increment();
    if (silentSince.putIfAbsent(node, System.nanoTime()) == null) {
      lastProbe.remove(node);
    }
    reconnect(node);
  }

  /** {@code node} answered: usable again. */
  private void heard(String node) {
    if (node != null && silentSince.remove(node) != null) {
      lastProbe.remove(node);
    }
  }

  /** Counters of this client's attempts (for {@link DistKvClient#stats()}). */
  ClientStats stats() {
    Map<String, Long> byNode = new java.util.TreeMap<>();
    attemptsByNode.forEach((n, a) -> byNode.put(n, a.sum()));
    return new ClientStats(attempts.sum(), retries.sum(), silences.sum(), byNode, new java.util.TreeSet<>(silentSince.keySet()));
  }

  /** Pings every silent node once per {@link #PROBE_NANOS} (and re-sends the handshake opener). */
  private void probeSilentNodes(long now) {
    for (String node : silentSince.keySet()) {
      Long last = lastProbe.get(node);
      if (last != null && now - last < PROBE_NANOS) {
        continue;
      }
      lastProbe.put(node, now);
      ActorRef<RouterCommand> router = routers.get(node);
      if (router == null) {
        continue;
      }
      long id = ids.getAndIncrement();
      probes.put(id, node);
      if (probes.size() > 10_000) {
        probes.clear(); // unanswered probes of long-dead nodes; a later probe clears the silence
      }
      router.tell(new ClientProtocol.Ping(id, inbox));
      if (last != null && now - silentSince.getOrDefault(node, now) > TimeUnit.SECONDS.toNanos(1)) {
        reconnect(node);
      }
    }
  }

  /** The node to try for partition {@code p}: its cached leader, else a replica not suspected, not {@code avoid}. */
  /**
   * The node this client runs in (a node's embedded client), or null: requests that any replica
   * may answer go to its own replica when it has one, as a Redis Cluster replica answers READONLY
   * reads itself (and still can on the minority side of a split).
   */
  private volatile String localNode;

  void preferLocal(String node) {
    localNode = node;
  }

  private String choose(int p, boolean toLeader, String avoid) {
    if (p >= 0) {
      String leader = leaders.get(p);
      if (toLeader && leader != null && !leader.equals(avoid) && !suspect(leader)) {
        return leader;
      }
      List<String> replicas = info.partitions().get(p).replicas();
      String local = localNode;
      if (!toLeader && local != null && !local.equals(avoid) && replicas.contains(local) && routers.containsKey(local)) {
        return local;
      }
      String pick = pickFrom(replicas, avoid);
      if (pick != null) {
        return pick;
      }
    }
    List<String> all = info.nodes().stream().map(NodeInfo::id).toList();
    String pick = pickFrom(all, avoid);
    return pick != null ? pick : all.get(Math.floorMod(roundRobin.getAndIncrement(), all.size()));
  }

  private String pickFrom(List<String> nodes, String avoid) {
    int start = Math.floorMod(roundRobin.getAndIncrement(), nodes.size());
    for (int i = 0; i < nodes.size(); i++) {
      String n = nodes.get((start + i) % nodes.size());
      if (!n.equals(avoid) && !suspect(n) && routers.containsKey(n)) {
        return n;
      }
    }
    return null;
  }

  /** Builds one attempt of a key request: (id, time left in ms, traced, reply path). */
  interface RequestFactory {
    KeyRequest make(long id, int timeoutMillis, boolean traced, ActorRef<Replies> replyTo);
  }

  /** One key request: its partition, deadline, current attempt and outcome. */
  private static final class Call {
    final int partition;
    final boolean toLeader;
    final RequestFactory factory;
    final long deadline;
    final CompletableFuture<Reply> out = new CompletableFuture<>();
    final boolean traced;
    int attempt;
    boolean chasedHint;
    String node;
    String avoid;
    long attemptDeadline;
    long retryAt;
    long sentAt;

    Call(int partition, boolean toLeader, RequestFactory factory, long deadline, boolean traced) {
      this.partition = partition;
      this.toLeader = toLeader;
      this.factory = factory;
      this.deadline = deadline;
      this.traced = traced;
    }
  }

  /** A key request for partition {@code p}: OK or a non-retryable error as the reply, retries inside. */
  CompletableFuture<Reply> call(int p, boolean toLeader, RequestFactory factory) {
    int oneIn = traceOneIn;
    boolean traced = oneIn > 0 && traceCounter.incrementAndGet() % oneIn == 0;
    Call c = new Call(p, toLeader, factory, System.nanoTime() + settings.requestTimeout().toNanos(), traced);
    send(c);
    return c.out;
  }

  private void send(Call c) {
    String node = choose(c.partition, c.toLeader, c.avoid);
    long now = System.nanoTime();
    long remaining = c.deadline - now;
    long wait = Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(remaining, settings.attemptTimeout().toNanos()));
    long id = ids.getAndIncrement();
    c.node = node;
    c.attemptDeadline = now + wait;
    c.sentAt = now;
    calls.put(id, c);
    attempts.increment();
    if (c.attempt > 0) {
      retries.increment();
    }
    attemptsByNode.computeIfAbsent(node, n -> new java.util.concurrent.atomic.LongAdder()).increment();
    KeyRequest request = c.factory.make(id, (int) Math.max(1, TimeUnit.NANOSECONDS.toMillis(remaining)), c.traced, inbox);
    if (Thread.currentThread() == batchingThread
        && (request instanceof ClientProtocol.Write || request instanceof ClientProtocol.Get)) {
      batch.computeIfAbsent(node, n -> new ArrayList<>()).add(request);
    } else {
      routers.get(node).tell(request);
    }
  }

  /**
   * The inbox thread while it takes one {@link Replies}: requests its callbacks send meanwhile
   * (a closed loop's next operations) are gathered per node in {@link #batch} and leave together
   * when it is done, one {@link ClientProtocol.Requests} per node.
   */
  private volatile Thread batchingThread;
  private final Map<String, List<KeyRequest>> batch = new java.util.HashMap<>();

  private void flushBatch() {
    if (batch.isEmpty()) {
      return;
    }
    for (Map.Entry<String, List<KeyRequest>> e : batch.entrySet()) {
      List<KeyRequest> requests = e.getValue();
      routers.get(e.getKey()).tell(requests.size() == 1 ? requests.get(0) : new ClientProtocol.Requests(List.copyOf(requests)));
    }
    batch.clear();
  }

  /** The inbox got answers (on the inbox actor's thread). */
  void onReplies(Replies replies) {
    batchingThread = Thread.currentThread();
    try {
      take(replies);
    } finally {
      batchingThread = null;
      flushBatch();
    }
  }

  private void take(Replies replies) {
    long now = System.nanoTime();
    for (Reply r : replies.replies()) {
      Call c = calls.remove(r.id());
      if (c != null) {
        onReply(c, r, now);
      } else {
        String probed = probes.remove(r.id());
        if (probed != null) {
          heard(probed);
        }
      }
    }
  }

  private void onReply(Call c, Reply reply, long now) {
    String node = c.node;
    ErrorCode code = reply.code();
    heard(node);
    if (code == ErrorCode.OK) {
      if (c.toLeader && reply.servedBy() != null) {
        leaders.put(c.partition, reply.servedBy());
      }
      if (c.traced && reply.trace() != null && traceSink != null) {
        long[] t = reply.trace().clone();
        t[Trace.CLIENT_SEND] = c.sentAt;
        t[Trace.CLIENT_RECEIVE] = now;
        traceSink.accept(t);
      }
      c.out.complete(reply);
      return;
    }
    String hint = reply.leaderHint();
    boolean followHint = hint != null && routers.containsKey(hint) && !hint.equals(node) && !suspect(hint);
    if (followHint) {
      leaders.put(c.partition, hint);
    } else if (code == ErrorCode.READ_ONLY || code == ErrorCode.NO_QUORUM) {
      // That node answered and knows the partition has no reachable majority: ask it again
      // next time rather than a replica that may be the silent one.
      leaders.put(c.partition, node);
    } else {
      leaders.remove(c.partition, node);
    }
    // A hint names the new leader: go there at once (the first time; a hint chase that keeps
    // failing backs off like any retry).
    retryOrFinish(c, retryable(code), reply, null, followHint && !c.chasedHint);
    if (followHint) {
      c.chasedHint = true;
    }
  }

  /**
   * Retries {@code c} (at once, or after its backoff) if it is retryable and time and retries
   * are left; else finishes it: with a non-retryable answer as it is, with a retryable one as
   * TIMEOUT naming the last answer (the outcome of a write is then unknown), or, after silence,
   * with a {@link RequestTimeoutException}.
   */
  private void retryOrFinish(Call c, boolean retryable, Reply reply, String silence, boolean now) {
    long backoff = now ? 0 : backoffNanos(c.attempt);
    if (!retryable || c.attempt >= settings.maxRetries() || c.deadline - System.nanoTime() <= backoff) {
      if (reply != null && !retryable) {
        c.out.complete(reply); // the caller turns the error code into its exception
      } else if (reply != null) {
        c.out.complete(Reply.error(reply.id(), ErrorCode.TIMEOUT, "partition " + c.partition + " did not answer within "
            + settings.requestTimeout().toMillis() + " ms after " + (c.attempt + 1) + " attempt(s) (last: "
            + reply.code() + " from " + c.node + ": " + reply.message() + ")", reply.leaderHint(), reply.servedBy()));
      } else {
        c.out.completeExceptionally(new RequestTimeoutException(silence + " (after " + (c.attempt + 1)
            + " attempt(s), deadline " + settings.requestTimeout().toMillis() + " ms)"));
      }
      return;
    }
    c.attempt++;
    if (now) {
      send(c);
      return;
    }
    c.retryAt = System.nanoTime() + backoff;
    backingOff.put(c, Boolean.TRUE);
  }

  /** The pause before retry number {@code attempt} + 1: retry-backoff doubling per retry, at most {@link #MAX_BACKOFF_NANOS}. */
  private long backoffNanos(int attempt) {
    return Math.min(MAX_BACKOFF_NANOS, settings.retryBackoff().toNanos() << Math.min(attempt, 10));
  }

  /** Every {@value #SWEEP_MILLIS} ms: attempts past their timeout count as silence; backoffs that ended retry. */
  private void sweep() {
    long now = System.nanoTime();
    if (!silentSince.isEmpty()) {
      probeSilentNodes(now);
    }
    for (Map.Entry<Long, Call> e : calls.entrySet()) {
      Call c = e.getValue();
      if (now - c.attemptDeadline >= 0 && calls.remove(e.getKey(), c)) {
        String node = c.node;
        silent(node);
        c.avoid = node;
        leaders.remove(c.partition, node);
        retryOrFinish(c, true, null, "no answer from node " + node + " within "
            + settings.attemptTimeout().toMillis() + " ms", false);
      }
    }
    if (!backingOff.isEmpty()) {
      for (Call c : backingOff.keySet()) {
        if (now - c.retryAt >= 0 && backingOff.remove(c) != null) {
          try {
            send(c);
          } catch (RuntimeException ex) {
            c.out.completeExceptionally(ex);
          }
        }
      }
    }
  }

  /** A request any node can answer (cluster info: admin, not the request path), retried on other nodes when one is silent. */
  <R> CompletableFuture<R> callAny(Function<ActorRef<R>, RouterCommand> msg) {
    CompletableFuture<R> out = new CompletableFuture<>();
    attemptAny(msg, System.nanoTime() + settings.requestTimeout().toNanos(), 0, null, out);
    return out;
  }

  private <R> void attemptAny(Function<ActorRef<R>, RouterCommand> msg, long deadline, int attempt, String avoid,
      CompletableFuture<R> out) {
    String node = choose(-1, false, avoid);
    long remaining = deadline - System.nanoTime();
    Duration wait = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(remaining,
        settings.attemptTimeout().toNanos())));
    DistKvClient.<R>ask(system, routers.get(node), msg, wait).whenComplete((reply, failure) -> {
      if (failure == null) {
        heard(node);
        out.complete(reply);
        return;
      }
      silent(node);
      long backoff = backoffNanos(attempt);
      if (attempt >= settings.maxRetries() || deadline - System.nanoTime() <= backoff) {
        out.completeExceptionally(new RequestTimeoutException("no answer from node " + node + " within "
            + wait.toMillis() + " ms (after " + (attempt + 1) + " attempt(s), deadline "
            + settings.requestTimeout().toMillis() + " ms)"));
        return;
      }
      CompletableFuture.delayedExecutor(backoff, TimeUnit.NANOSECONDS).execute(() ->
          attemptAny(msg, deadline, attempt + 1, node, out));
    });
  }
}
