package io.distkv.common.protocol;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol.Get;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.ClientProtocol.ScanPart;
import io.distkv.common.protocol.ClientProtocol.Write;
import java.io.NotSerializableException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary wire format of the request pipeline's hot messages: {@link Write}, {@link Get},
 * {@link ClientProtocol.Requests} and {@link Replies}, every write's and read's way to a node and
 * back. Hand-written, as the
 * Raft messages are, instead of Jackson CBOR (field names, reflection, and an actor-path parse
 * per message), and a {@link ByteBufferSerializer}: Artery has it write into, and read from, its
 * envelope buffer directly. A reply path is written as its serialized actor path once per message and
 * resolved through a cache (a client connection's inbox is the same ref for every request).
 * Layout in docs/formats.md "Client wire format". Bad bytes fail with
 * {@link NotSerializableException} naming what was wrong (Artery drops the message).
 */
public final class ClientWireSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {
  private static final String WRITE = "W";
  private static final String GET = "G";
  private static final String REPLIES = "R";
  private static final String REQUESTS = "B";
  /** Most resolved reply paths kept (one per client connection); the cache is cleared beyond. */
  private static final int MAX_CACHED_REFS = 4096;
  /** Most replies or scan entries one message may claim (a scan page holds at most 10,000 entries). */
  private static final int MAX_ITEMS = 1 << 20;

  private final ExtendedActorSystem system;
  private volatile ActorRefResolver resolver;
  private final Map<String, ActorRef<Replies>> refs = new ConcurrentHashMap<>();

  public ClientWireSerializer(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public int identifier() {
    return 48_151_624;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof Write) {
      return WRITE;
    } else if (o instanceof Get) {
      return GET;
    } else if (o instanceof Replies) {
      return REPLIES;
    } else if (o instanceof ClientProtocol.Requests) {
      return REQUESTS;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  private ActorRefResolver resolver() {
    ActorRefResolver r = resolver;
    if (r == null) {
      r = ActorRefResolver.get(Adapter.toTyped(system));
      resolver = r;
    }
    return r;
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteBuffer b = ByteBuffer.allocate(size(o));
    toBinary(o, b);
    return b.array();
  }

  /** Exact encoded size of {@code o}. */
  private int size(Object o) {
    if (o instanceof Write w) {
      return headerSize(w.replyTo()) + Wire.bytesSize(w.command().encode());
    } else if (o instanceof Get g) {
      return headerSize(g.replyTo()) + 1 + Wire.bytesSize(g.key());
    } else if (o instanceof ClientProtocol.Requests batch) {
      int size = 4;
      for (ClientProtocol.KeyRequest k : batch.requests()) {
        size += 1 + size(k);
      }
      return size;
    } else if (o instanceof Replies rs) {
      int size = 4;
      for (Reply r : rs.replies()) {
        size += replySize(r);
      }
      return size;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  private int headerSize(ActorRef<Replies> replyTo) {
    return 8 + 4 + 1 + 2 + path(replyTo).length;
  }

  /** Writes {@code o} straight into Artery's buffer (no intermediate array). */
  @Override
  public void toBinary(Object o, ByteBuffer out) {
    if (o instanceof Write w) {
      writeWrite(out, w);
    } else if (o instanceof Get g) {
      writeGet(out, g);
    } else if (o instanceof ClientProtocol.Requests batch) {
      out.putInt(batch.requests().size());
      for (ClientProtocol.KeyRequest k : batch.requests()) {
        if (k instanceof Write w) {
          out.put((byte) 'W');
          writeWrite(out, w);
        } else if (k instanceof Get g) {
          out.put((byte) 'G');
          writeGet(out, g);
        } else {
          throw new IllegalArgumentException("a Requests batch holds writes and gets only, not " + k.getClass());
        }
      }
    } else if (o instanceof Replies rs) {
      out.putInt(rs.replies().size());
      for (Reply r : rs.replies()) {
        writeReply(out, r);
      }
    } else {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
  }

  private void writeWrite(ByteBuffer out, Write w) {
    writeHeader(out, w.id(), w.timeoutMillis(), w.traced(), w.replyTo());
    Wire.putBytes(out, w.command().encode());
  }

  private void writeGet(ByteBuffer out, Get g) {
    writeHeader(out, g.id(), g.timeoutMillis(), g.traced(), g.replyTo());
    out.put((byte) g.consistency().ordinal());
    Wire.putBytes(out, g.key());
  }

  /** The fields every key request starts with. */
  private record Header(long id, int timeoutMillis, boolean traced, ActorRef<Replies> replyTo) {}

  private Header readHeader(ByteBuffer in) {
    long id = in.getLong();
    int timeout = in.getInt();
    boolean traced = in.get() != 0;
    return new Header(id, timeout, traced, ref(Wire.getUtf(in)));
  }

  private Write readWrite(ByteBuffer in) {
    Header h = readHeader(in);
    return new Write(h.id(), h.timeoutMillis(), h.traced(), KvCommand.decode(Wire.getBytes(in, false)), h.replyTo());
  }

  private Get readGet(ByteBuffer in) {
    Header h = readHeader(in);
    int c = in.get() & 0xff;
    if (c >= Consistency.values().length) {
      throw new Wire.WireException("unknown consistency " + c);
    }
    return new Get(h.id(), h.timeoutMillis(), h.traced(), Wire.getBytes(in, true), Consistency.values()[c], h.replyTo());
  }

  /** The reply path's serialized form (modified UTF-8), cached per ref (a connection's inbox is one ref). */
  private byte[] path(ActorRef<Replies> ref) {
    return cached(paths, ref, r -> Wire.utf(resolver().toSerializationFormat(r)));
  }

  private final Map<ActorRef<Replies>, byte[]> paths = new ConcurrentHashMap<>();

  /** {@code map}'s value for {@code key}, computed once; the map is emptied beyond {@link #MAX_CACHED_REFS}. */
  private static <K, V> V cached(Map<K, V> map, K key, java.util.function.Function<K, V> compute) {
    V v = map.get(key);
    if (v == null) {
      if (map.size() >= MAX_CACHED_REFS) {
        map.clear();
      }
      v = compute.apply(key);
      map.put(key, v);
    }
    return v;
  }

  private void writeHeader(ByteBuffer out, long id, int timeoutMillis, boolean traced, ActorRef<Replies> replyTo) {
    out.putLong(id);
    out.putInt(timeoutMillis);
    out.put((byte) (traced ? 1 : 0));
    byte[] path = path(replyTo);
    out.putShort((short) path.length);
    out.put(path);
  }

  private static final int HAS_RESULT = 1;
  private static final int HAS_SCAN = 2;
  private static final int HAS_MESSAGE = 4;
  private static final int HAS_HINT = 8;
  private static final int HAS_SERVED_BY = 16;
  private static final int HAS_TRACE = 32;

  private static int replySize(Reply r) {
    int size = 8 + 1 + 1;
    if (r.result() != null) {
      size += 1 + 8 + Wire.bytesSize(r.result().value());
    }
    if (r.scan() != null) {
      size += 4 + 1;
      for (ScanEntry e : r.scan().entries()) {
        size += Wire.bytesSize(e.key()) + 8 + Wire.bytesSize(e.value());
      }
    }
    if (r.message() != null) {
      size += Wire.bytesSize(r.message().getBytes(StandardCharsets.UTF_8));
    }
    if (r.leaderHint() != null) {
      size += Wire.utfSize(r.leaderHint());
    }
    if (r.servedBy() != null) {
      size += Wire.utfSize(r.servedBy());
    }
    if (r.trace() != null) {
      size += 1 + 8 * r.trace().length;
    }
    return size;
  }

  private static void writeReply(ByteBuffer out, Reply r) {
    out.putLong(r.id());
    out.put((byte) r.code().wireValue());
    int flags = (r.result() != null ? HAS_RESULT : 0) | (r.scan() != null ? HAS_SCAN : 0)
        | (r.message() != null ? HAS_MESSAGE : 0) | (r.leaderHint() != null ? HAS_HINT : 0)
        | (r.servedBy() != null ? HAS_SERVED_BY : 0) | (r.trace() != null ? HAS_TRACE : 0);
    out.put((byte) flags);
    if (r.result() != null) {
      out.put((byte) r.result().code().wireValue());
      out.putLong(r.result().version());
      Wire.putBytes(out, r.result().value());
    }
    if (r.scan() != null) {
      out.putInt(r.scan().entries().size());
      for (ScanEntry e : r.scan().entries()) {
        Wire.putBytes(out, e.key());
        out.putLong(e.version());
        Wire.putBytes(out, e.value());
      }
      out.put((byte) (r.scan().more() ? 1 : 0));
    }
    if (r.message() != null) {
      // any length (error messages may exceed a u16-length string)
      Wire.putBytes(out, r.message().getBytes(StandardCharsets.UTF_8));
    }
    if (r.leaderHint() != null) {
      Wire.putUtf(out, r.leaderHint());
    }
    if (r.servedBy() != null) {
      Wire.putUtf(out, r.servedBy());
    }
    if (r.trace() != null) {
      out.put((byte) r.trace().length);
      for (long t : r.trace()) {
        out.putLong(t);
      }
    }
  }

  @Override
  public Object fromBinary(byte[] data, String manifest) throws NotSerializableException {
    return fromBinary(ByteBuffer.wrap(data), manifest);
  }

  @Override
  public Object fromBinary(ByteBuffer in, String manifest) throws NotSerializableException {
    int length = in.remaining();
    try {
      Object o = switch (manifest) {
        case WRITE -> readWrite(in);
        case GET -> readGet(in);
        case REQUESTS -> {
          int n = Wire.getCount(in, MAX_ITEMS);
          List<ClientProtocol.KeyRequest> requests = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            int kind = in.get() & 0xff;
            if (kind == 'W') {
              requests.add(readWrite(in));
            } else if (kind == 'G') {
              requests.add(readGet(in));
            } else {
              throw new Wire.WireException("unknown request kind " + kind + " in a Requests batch");
            }
          }
          yield new ClientProtocol.Requests(requests);
        }
        case REPLIES -> {
          int n = Wire.getCount(in, MAX_ITEMS);
          List<Reply> replies = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            replies.add(readReply(in));
          }
          yield new Replies(replies);
        }
        default -> throw new NotSerializableException("unknown client wire manifest '" + manifest + "'");
      };
      if (in.hasRemaining()) {
        throw new Wire.WireException(in.remaining() + " trailing bytes");
      }
      return o;
    } catch (RuntimeException e) {
      NotSerializableException ex = new NotSerializableException("malformed client message (manifest '" + manifest
          + "', " + length + " bytes): " + (e instanceof BufferUnderflowException ? "message ends early" : e.getMessage()));
      ex.initCause(e);
      throw ex;
    }
  }

  private ActorRef<Replies> ref(String path) {
    return cached(refs, path, p -> resolver().resolveActorRef(p));
  }

  private static Reply readReply(ByteBuffer in) {
    long id = in.getLong();
    ErrorCode code = ErrorCode.fromWire(in.get() & 0xff);
    int flags = in.get() & 0xff;
    KvResult result = null;
    if ((flags & HAS_RESULT) != 0) {
      ErrorCode rc = ErrorCode.fromWire(in.get() & 0xff);
      long version = in.getLong();
      result = new KvResult(rc, version, Wire.getBytes(in, true));
    }
    ScanPart scan = null;
    if ((flags & HAS_SCAN) != 0) {
      int n = Wire.getCount(in, MAX_ITEMS);
      List<ScanEntry> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] key = Wire.getBytes(in, false);
        long version = in.getLong();
        entries.add(new ScanEntry(key, version, Wire.getBytes(in, false)));
      }
      scan = new ScanPart(entries, in.get() != 0);
    }
    String message = (flags & HAS_MESSAGE) != 0 ? new String(Wire.getBytes(in, false), StandardCharsets.UTF_8) : null;
    String hint = (flags & HAS_HINT) != 0 ? Wire.getUtf(in) : null;
    String servedBy = (flags & HAS_SERVED_BY) != 0 ? Wire.getUtf(in) : null;
    long[] trace = null;
    if ((flags & HAS_TRACE) != 0) {
      int n = in.get() & 0xff;
      if (n != Trace.STAGES) {
        throw new Wire.WireException("trace of " + n + " stamps, expected " + Trace.STAGES);
      }
      trace = new long[n];
      for (int i = 0; i < n; i++) {
        trace[i] = in.getLong();
      }
    }
    return new Reply(id, code, result, scan, message, hint, servedBy, trace);
  }
}
