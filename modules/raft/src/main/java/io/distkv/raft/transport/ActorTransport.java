package io.distkv.raft.transport;

import io.distkv.raft.RaftReplica;
import io.distkv.raft.Transport;
import io.distkv.raft.core.RaftMessage;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Production transport: {@code ActorRef.tell} of an {@link RaftReplica.Inbound} to the peer's
 * replica actor, over Pekko remoting when the peer is on another node. Peers are found by actor
 * path, built by {@code pathOf(peerId, group)} and resolved once.
 */
public final class ActorTransport implements Transport {
  private final ActorRefResolver resolver;
  private final BiFunction<String, String, String> pathOf;
  private final Map<String, ActorRef<RaftReplica.Command>> resolved = new ConcurrentHashMap<>();

  public ActorTransport(ActorSystem<?> system, BiFunction<String, String, String> pathOf) {
    this.resolver = ActorRefResolver.get(system);
    this.pathOf = pathOf;
  }

  /** Paths {@code <address of peer>/user/raft-<group>}, addresses given per peer id. */
  public static ActorTransport byAddress(ActorSystem<?> system, Map<String, String> addressOfPeer) {
    return new ActorTransport(system, (peer, group) -> {
      String address = addressOfPeer.get(peer);
      return address == null ? null : address + "/user/raft-" + group;
    });
  }

  @Override
  public void send(String group, RaftMessage message) {
    String key = message.to() + "/" + group;
    ActorRef<RaftReplica.Command> ref = resolved.get(key);
    if (ref == null) {
      String path = pathOf.apply(message.to(), group);
      if (path == null) {
        return; // unknown peer: Raft treats it as a lost message
      }
      ref = resolver.resolveActorRef(path);
      resolved.put(key, ref);
    }
    ref.tell(new RaftReplica.Inbound(group, message));
  }
}
