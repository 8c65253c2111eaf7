package io.distkv.server.cluster;

import io.distkv.common.NodeId;
import io.distkv.common.placement.Placement;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.server.NodeRuntime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * A node's replica host at {@value #PATH}: starts and drops partition replicas on this node when a
 * membership change asks ({@link HostReplica}, {@link DropReplica}: the replica retires and its
 * group and store are deleted), and keeps the node's
 * {@link NodeDirectory} current: every second it learns the addresses of Pekko Cluster members
 * from their {@code node=<id>} roles and pulls the placement of one other node, adopting it if
 * its epoch is higher (anti-entropy: a published placement reaches every node within seconds of
 * it being reachable). Every 5 s it drops replicas that were removed from their group while this
 * node was away ({@link #checkOrphans}). The node spawns it on
 * {@link io.distkv.raft.RaftReplica#DISK_DISPATCHER}: most of that is disk work.
 */
public final class ReplicaHost {
  public static final String PATH = "/user/host";

  /** Messages between nodes (Jackson CBOR, bound in {@link ClusterMembership#settings}). */
  public interface HostSerializable {}

  public sealed interface Command {}

  /** Start an empty replica of {@code partition} here (a learner-to-be); OK if it is already here. */
  public record HostReplica(int partition, ActorRef<Ack> replyTo) implements Command, HostSerializable {}

  /** Stop this node's replica of {@code partition}, forget its Raft group and delete its store; OK if absent. */
  public record DropReplica(int partition, ActorRef<Ack> replyTo) implements Command, HostSerializable {}

  public record GetPlacement(ActorRef<PlacementText> replyTo) implements Command, HostSerializable {}

  /** A placement someone published; adopted if newer. */
  public record OfferPlacement(String placement) implements Command, HostSerializable {}

  public record Ack(boolean ok, String error) implements HostSerializable {}

  public record PlacementText(String placement) implements HostSerializable {}

  private record Tick() implements Command {}

  private record Pulled(PlacementText text) implements Command {}

  /** A status from a replica of {@code partition} elsewhere, for the orphan check. */
  private record OrphanCheck(int partition, RaftReplica.Status status) implements Command {}

  private record ReplicaRetired(NodeRuntime.Detached detached, ActorRef<Ack> replyTo) implements Command {}

  private record GroupRemoved(NodeRuntime.Detached detached, NodeLogWriter.Persisted persisted, ActorRef<Ack> replyTo)
      implements Command {}

  /** The host's path on the node at {@code address}. */
  public static String path(String address) {
    return address + PATH;
  }

  public static Behavior<Command> create(NodeId self, NodeRuntime runtime, NodeDirectory directory, boolean clusterMember) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), Duration.ofSeconds(1));
      ActorRefResolver resolver = ActorRefResolver.get(ctx.getSystem());
      int[] ticks = {0};
      return Behaviors.receive(Command.class)
          .onMessage(HostReplica.class, h -> {
            try {
              runtime.addReplica(h.partition());
              ctx.getLog().info("partition {}: replica started on {} (joining its group)", h.partition(), self);
              h.replyTo().tell(new Ack(true, null));
            } catch (Exception e) {
              ctx.getLog().error("partition {}: starting a replica failed", h.partition(), e);
              h.replyTo().tell(new Ack(false, "starting replica of partition " + h.partition() + " on " + self
                  + " failed: " + e.getMessage()));
            }
            return Behaviors.same();
          })
          .onMessage(DropReplica.class, d -> {
            NodeRuntime.Detached detached = runtime.detachReplica(d.partition());
            if (detached == null) {
              d.replyTo().tell(new Ack(true, null));
              return Behaviors.same();
            }
            ctx.ask(RaftReplica.Retired.class, detached.replica(), Duration.ofSeconds(30), RaftReplica.Retire::new,
                (retired, failure) -> new ReplicaRetired(detached, d.replyTo()));
            return Behaviors.same();
          })
          .onMessage(ReplicaRetired.class, s -> {
            ctx.ask(NodeLogWriter.Persisted.class, runtime.logWriter(), Duration.ofSeconds(30),
                reply -> new NodeLogWriter.RemoveGroup(NodeRuntime.group(s.detached().partition()), reply),
                (persisted, failure) -> new GroupRemoved(s.detached(), persisted, s.replyTo()));
            return Behaviors.same();
          })
          .onMessage(GroupRemoved.class, g -> {
            int p = g.detached().partition();
            try {
              if (g.persisted() == null || g.persisted().error() != null) {
                throw new java.io.IOException("removing its Raft group failed: "
                    + (g.persisted() == null ? "no answer" : g.persisted().error()));
              }
              runtime.dropDetached(g.detached());
              ctx.getLog().info("partition {}: replica on {} dropped", p, self);
              g.replyTo().tell(new Ack(true, null));
            } catch (Exception e) {
              ctx.getLog().error("partition {}: dropping the replica failed", p, e);
              g.replyTo().tell(new Ack(false, "dropping replica of partition " + p + " on " + self + " failed: "
                  + e.getMessage()));
            }
            return Behaviors.same();
          })
          .onMessage(GetPlacement.class, g -> {
            g.replyTo().tell(new PlacementText(NodeDirectory.encode(directory.placement())));
            return Behaviors.same();
          })
          .onMessage(OfferPlacement.class, o -> {
            adopt(ctx, directory, o.placement());
            return Behaviors.same();
          })
          .onMessage(Pulled.class, p -> {
            if (p.text() != null) {
              adopt(ctx, directory, p.text().placement());
            }
            return Behaviors.same();
          })
          .onMessage(OrphanCheck.class, o -> {
            RaftReplica.Status st = o.status();
            int p = o.partition();
            if (st != null && st.role() == io.distkv.raft.core.Role.LEADER && st.configurationCommitted()
                && !st.configuration().contains(self.value()) && runtime.replicas().containsKey(p)
                && !directory.placement().replicasOf(io.distkv.common.PartitionId.of(p)).contains(self)) {
              ctx.getLog().warn("partition {}: the replica here is no longer in its group (leader {}, term {}, members {}); "
                  + "dropping it", p, st.id(), st.term(), st.configuration().members());
              ctx.getSelf().tell(new DropReplica(p, ctx.getSystem().ignoreRef()));
            }
            return Behaviors.same();
          })
          .onMessage(Tick.class, t -> {
            if (++ticks[0] % ORPHAN_CHECK_TICKS == 0) {
              checkOrphans(ctx, self, runtime, directory, resolver);
            }
            if (clusterMember) {
              ClusterMembership.learnMemberAddresses(ctx.getSystem(), directory);
            }
            List<Map.Entry<NodeId, String>> others = new ArrayList<>();
            for (Map.Entry<NodeId, String> e : directory.addresses().entrySet()) {
              if (!e.getKey().equals(self)) {
                others.add(e);
              }
            }
            if (!others.isEmpty()) {
              String address = others.get(ThreadLocalRandom.current().nextInt(others.size())).getValue();
              ActorRef<Command> peer = resolver.resolveActorRef(path(address));
              ctx.ask(PlacementText.class, peer, Duration.ofSeconds(1), GetPlacement::new,
                  (text, failure) -> new Pulled(text));
            }
            return Behaviors.same();
          })
          .build();
    }));
  }

  /** Every this many ticks (seconds), replicas the placement no longer puts here are checked. */
  private static final int ORPHAN_CHECK_TICKS = 5;

  /**
   * A replica the current placement does not put on this node, and whose group's leader reports a
   * committed configuration without it, was removed while this node could not be told (down or
   * cut off): drop it. Anything short of that (no leader, uncommitted change) leaves it alone.
   */
  private static void checkOrphans(ActorContext<Command> ctx, NodeId self, NodeRuntime runtime, NodeDirectory directory,
      ActorRefResolver resolver) {
    Placement placement = directory.placement();
    for (int p : runtime.replicas().keySet()) {
      if (placement.replicasOf(io.distkv.common.PartitionId.of(p)).contains(self)) {
        continue;
      }
      for (NodeId n : placement.replicasOf(io.distkv.common.PartitionId.of(p)).nodes()) {
        String address = directory.addresses().get(n);
        if (address == null) {
          continue;
        }
        ActorRef<RaftReplica.Command> replica = resolver.resolveActorRef(NodeRuntime.replicaPath(address, p));
        ctx.ask(RaftReplica.Status.class, replica, Duration.ofSeconds(2), RaftReplica.GetStatus::new,
            (status, failure) -> new OrphanCheck(p, status));
      }
    }
  }

  private static void adopt(ActorContext<Command> ctx, NodeDirectory directory, String text) {
    try {
      Placement p = NodeDirectory.decode(text);
      if (directory.offer(p)) {
        ctx.getLog().info("adopted placement epoch {} (members {})", p.epoch(), p.members());
      }
    } catch (Exception e) {
      ctx.getLog().warn("ignoring a placement offered by a peer: {}", e.getMessage());
    }
  }
}
