package io.distkv.raft;

import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftOptions;
import io.distkv.raft.log.NodeLogWriter;
import io.distkv.raft.log.SegmentedLog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;

/**
 * Replicas of Raft group "g" in one test kit (tests): each with a log of its own under
 * {@code dir} and its own log writer, talking to each other through their actor paths (resolved
 * per message, so a replica started later is found). {@link #close} stops the kit, then closes
 * the logs.
 */
final class LocalGroup implements AutoCloseable {
  final ActorTestKit kit;
  private final Path dir;
  private final List<SegmentedLog> logs = new ArrayList<>();

  LocalGroup(String name, Path dir) {
    this.kit = ActorTestKit.create(name);
    this.dir = dir;
  }

  /** Starts replica {@code id} of {@code voters} with a 20 ms tick over {@code sm}. */
  ActorRef<RaftReplica.Command> start(String id, Configuration voters, RaftOptions options, SnapshotPolicy snapshots,
      StateMachine sm) throws Exception {
    SegmentedLog log = SegmentedLog.open(dir.resolve(id), 64 << 20, true);
    logs.add(log);
    NodeLogWriter writer = NodeLogWriter.start(log, "raft-log-" + id);
    kit.spawn(writer.behavior(), "raft-log-" + id);
    RaftReplica.Settings settings = new RaftReplica.Settings("g", id, voters, options, Duration.ofMillis(20), snapshots,
        dir.resolve(id + "-snapshots"), id.hashCode(), LogMemoryBudget.unlimited());
    ActorRefResolver resolver = ActorRefResolver.get(kit.system());
    Transport transport = (group, m) -> resolver.<RaftReplica.Command>resolveActorRef(
        kit.system().address() + "/user/raft-" + group + "-" + m.to()).tell(new RaftReplica.Inbound(group, m));
    return kit.spawn(RaftReplica.create(settings, null, sm, transport, writer), "raft-g-" + id);
  }

  RaftReplica.Status status(ActorRef<RaftReplica.Command> replica) {
    TestProbe<RaftReplica.Status> p = kit.createTestProbe();
    replica.tell(new RaftReplica.GetStatus(p.getRef()));
    return p.receiveMessage(Duration.ofSeconds(5));
  }

  @Override
  public void close() throws Exception {
    kit.shutdownTestKit();
    for (SegmentedLog l : logs) {
      l.close();
    }
  }
}
