package io.distkv.raft;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * Replies a replica produced while handling one message (or one batch of committed entries),
 * grouped by destination: {@link #flush} sends each destination one message carrying all of its
 * items. A client connection with 20 writes committed in one Ready gets one Artery message, not
 * 20. Owned by one actor; not thread-safe.
 */
public final class Outbox {
  private static final class Destination {
    final ActorRef<Object> to;
    final Function<List<Object>, Object> wrap;
    final List<Object> items = new ArrayList<>(4);

    Destination(ActorRef<Object> to, Function<List<Object>, Object> wrap) {
      this.to = to;
      this.wrap = wrap;
    }
  }

  private final Map<ActorRef<?>, Destination> pending = new LinkedHashMap<>();

  /** Queues {@code item} for {@code to}; at flush, {@code wrap} turns the destination's items into one message. */
  @SuppressWarnings("unchecked")
  public <M, I> void add(ActorRef<M> to, I item, Function<List<I>, M> wrap) {
    Destination d = pending.get(to);
    if (d == null) {
      d = new Destination((ActorRef<Object>) (ActorRef<?>) to, (Function<List<Object>, Object>) (Function<?, ?>) wrap);
      pending.put(to, d);
    }
    d.items.add(item);
  }

  public boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Sends every destination its batch, in the order destinations were first added. */
  public void flush() {
    if (pending.isEmpty()) {
      return;
    }
    for (Destination d : pending.values()) {
      d.to.tell(d.wrap.apply(List.copyOf(d.items)));
    }
    pending.clear();
  }
}
