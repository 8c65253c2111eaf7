package io.distkv.client;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.RequestTimeoutException;
import io.distkv.common.error.UnavailableException;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.RouterCommand;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Where the client sends each request: the cluster map (nodes and their routers, each partition's
 * replicas), a leader cache per partition, and nodes that recently did not answer (skipped while
 * others remain). Attempts and retries with backoff inside the request deadline.
 */
final class Routing {
  /**
   * Worth another attempt: the error model's retryable codes, and SHUTTING_DOWN, which only says
   * that the node asked is going away (another node can answer).
   */
  private static boolean retryable(ErrorCode code) {
    return code.retryable() || code == ErrorCode.SHUTTING_DOWN;
  }
  private static final long SUSPECT_NANOS = TimeUnit.SECONDS.toNanos(3);

  private final ActorSystem<Void> system;
  private final ClientSettings settings;
  private final ActorRefResolver resolver;
  private final Map<String, ActorRef<RouterCommand>> routers = new ConcurrentHashMap<>();
  private final Map<Integer, String> leaders = new ConcurrentHashMap<>();
  private final Map<String, Long> suspectUntil = new ConcurrentHashMap<>();
  private final AtomicInteger roundRobin = new AtomicInteger();
  private volatile ClusterInfo info;

  Routing(ActorSystem<Void> system, ClientSettings settings) {
    this.system = system;
    this.settings = settings;
    this.resolver = ActorRefResolver.get(system);
  }

  /**
   * Fetches the cluster map from whichever contact point answers first: every contact point is
   * asked at once, so a dead one costs nothing while another answers. Rounds repeat (each waiting
   * at most the attempt timeout) until the request timeout.
   */
  void bootstrap() {
    long deadline = System.nanoTime() + settings.requestTimeout().toNanos();
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
        + " within " + settings.requestTimeout().toMillis() + " ms (is the cluster running? `make run`)");
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
  CompletableFuture<Reply> once(Function<ActorRef<Reply>, RouterCommand> msg, Duration timeout) {
    String node = choose(-1, false, null);
    CompletableFuture<Reply> out = new CompletableFuture<>();
    DistKvClient.<Reply>ask(system, routers.get(node), msg, timeout).whenComplete((reply, failure) -> {
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
    Long until = suspectUntil.get(node);
    return until != null && until - System.nanoTime() > 0;
  }

  /** The node to try for partition {@code p}: its cached leader, else a replica not suspected, not {@code avoid}. */
  private String choose(int p, boolean toLeader, String avoid) {
    if (p >= 0) {
      String leader = leaders.get(p);
      if (toLeader && leader != null && !leader.equals(avoid) && !suspect(leader)) {
        return leader;
      }
      List<String> replicas = info.partitions().get(p).replicas();
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

  /** A key request for partition {@code p}: OK or a non-retryable error as the reply, retries inside. */
  CompletableFuture<Reply> call(int p, boolean toLeader, Function<ActorRef<Reply>, RouterCommand> msg) {
    CompletableFuture<Reply> out = new CompletableFuture<>();
    attempt(p, toLeader, msg, Reply.class, System.nanoTime() + settings.requestTimeout().toNanos(), 0, null, out);
    return out;
  }

  /** A request any node can answer (scan, cluster info), retried on other nodes when one is silent. */
  <R> CompletableFuture<R> callAny(Function<ActorRef<R>, RouterCommand> msg, Class<R> type) {
    CompletableFuture<R> out = new CompletableFuture<>();
    attempt(-1, false, msg, type, System.nanoTime() + settings.requestTimeout().toNanos(), 0, null, out);
    return out;
  }

  private <R> void attempt(int p, boolean toLeader, Function<ActorRef<R>, RouterCommand> msg, Class<R> type,
      long deadline, int attempt, String avoid, CompletableFuture<R> out) {
    String node = choose(p, toLeader, avoid);
    long remaining = deadline - System.nanoTime();
    Duration wait = Duration.ofNanos(Math.max(TimeUnit.MILLISECONDS.toNanos(1), Math.min(remaining,
        settings.attemptTimeout().toNanos())));
    DistKvClient.<R>ask(system, routers.get(node), msg, wait).whenComplete((reply, failure) -> {
      ErrorCode code = failure != null ? null : reply instanceof Reply r ? r.code() : ErrorCode.OK;
      if (failure == null && code == ErrorCode.OK) {
        if (reply instanceof Reply r && toLeader && r.servedBy() != null) {
          leaders.put(p, r.servedBy());
        }
        suspectUntil.remove(node);
        out.complete(reply);
        return;
      }
      if (failure != null) {
        suspectUntil.put(node, System.nanoTime() + SUSPECT_NANOS);
        reconnect(node);
      }
      if (p >= 0) {
        String hint = reply instanceof Reply r ? r.leaderHint() : null;
        if (hint != null && routers.containsKey(hint) && !hint.equals(node) && !suspect(hint)) {
          leaders.put(p, hint);
        } else if (code == ErrorCode.READ_ONLY || code == ErrorCode.NO_QUORUM) {
          // That node answered and knows the partition has no reachable majority: ask it again
          // next time rather than a replica that may be the silent one.
          leaders.put(p, node);
        } else {
          leaders.remove(p, node);
        }
      }
      boolean retryable = failure != null || retryable(code);
      long backoff = Math.min(TimeUnit.SECONDS.toNanos(1), settings.retryBackoff().toNanos() << Math.min(attempt, 10));
      if (!retryable || attempt >= settings.maxRetries() || deadline - System.nanoTime() <= backoff) {
        if (failure == null) {
          out.complete(reply); // the caller turns the error code into its exception
        } else {
          out.completeExceptionally(new RequestTimeoutException("no answer from node " + node + " within "
              + wait.toMillis() + " ms (after " + (attempt + 1) + " attempt(s), deadline "
              + settings.requestTimeout().toMillis() + " ms)"));
        }
        return;
      }
      CompletableFuture.delayedExecutor(backoff, TimeUnit.NANOSECONDS).execute(() ->
          attempt(p, toLeader, msg, type, deadline, attempt + 1, failure != null ? node : null, out));
    });
  }
}
