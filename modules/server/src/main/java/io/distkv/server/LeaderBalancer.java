package io.distkv.server;

import io.distkv.common.NodeId;
import io.distkv.common.PartitionId;
import io.distkv.common.placement.Placement;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Role;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Levels leadership onto the placement's preferred leaders (the first replica of each partition,
 * which the placement function spreads evenly over the nodes): every {@code interval} this node
 * asks each of its replicas for its Raft status, and where it leads a partition whose preferred
 * leader is another node, it hands leadership over (Raft leader transfer, TimeoutNow once the
 * target is caught up). A partition is not tried again for three intervals, so an unreachable
 * preferred leader costs one aborted transfer per three intervals, not a storm. Only the current
 * leader acts, so nodes never contend.
 */
public final class LeaderBalancer {
  private LeaderBalancer() {}

  /** Messages of the balancer (internal). */
  public sealed interface Command {}

  private record Tick() implements Command {}

  private record Status(int partition, RaftReplica.Status status) implements Command {}

  private record Transferred(int partition, RaftReplica.Result result) implements Command {}

  /** Levels leaders of {@code replicas} onto the current placement ({@code placements}: it changes with add-node / remove-node). */
  public static Behavior<Command> create(NodeId self, java.util.function.Supplier<Placement> placements,
      Map<Integer, ActorRef<RaftReplica.Command>> replicas, Duration interval) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(new Tick(), interval);
      Map<Integer, Long> lastAttempt = new HashMap<>();
      long cooldown = interval.multipliedBy(3).toNanos();
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> {
            for (Map.Entry<Integer, ActorRef<RaftReplica.Command>> e : replicas.entrySet()) {
              int p = e.getKey();
              ctx.ask(RaftReplica.Status.class, e.getValue(), interval, RaftReplica.GetStatus::new,
                  (status, failure) -> new Status(p, status));
            }
            return Behaviors.same();
          })
          .onMessage(Status.class, s -> {
            RaftReplica.Status st = s.status();
            if (st == null || st.role() != Role.LEADER) {
              return Behaviors.same();
            }
            NodeId preferred = placements.get().replicasOf(PartitionId.of(s.partition())).preferredLeader().orElse(self);
            ActorRef<RaftReplica.Command> replica = replicas.get(s.partition());
            Long last = lastAttempt.get(s.partition());
            if (replica == null || preferred.equals(self) || !st.configuration().isVoter(preferred.value())
                || (last != null && System.nanoTime() - last < cooldown)) {
              return Behaviors.same();
            }
            lastAttempt.put(s.partition(), System.nanoTime());
            ctx.getLog().info("partition {}: handing leadership to its preferred leader {}", s.partition(), preferred);
            ctx.ask(RaftReplica.Result.class, replica, interval,
                reply -> new RaftReplica.TransferLeadership(preferred.value(), reply),
                (result, failure) -> new Transferred(s.partition(), result));
            return Behaviors.same();
          })
          .onMessage(Transferred.class, t -> {
            if (t.result() != null && !t.result().isOk()) {
              ctx.getLog().info("partition {}: leader transfer refused: {}", t.partition(), t.result().message());
            }
            return Behaviors.same();
          })
          .build();
    }));
  }
}
