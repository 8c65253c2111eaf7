package io.distkv.common.protocol;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol.Get;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.ClientProtocol.ScanPart;
import io.distkv.common.protocol.ClientProtocol.Write;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary wire format of the request pipeline's hot messages: {@link Write}, {@link Get}
 * and {@link Replies}, every write's and read's way to a node and back. Hand-written, as the
 * Raft messages are, instead of Jackson CBOR (field names, reflection, and an actor-path parse
 * per message). A reply path is written as its serialized actor path once per message and
 * resolved through a cache (a client connection's inbox is the same ref for every request).
 * Layout in docs/formats.md "Client wire format". Bad bytes fail with
 * {@link NotSerializableException} naming what was wrong (Artery drops the message).
 */
public final class ClientWireSerializer extends SerializerWithStringManifest {
  private static final String WRITE = "W";
  private static final String GET = "G";
  private static final String REPLIES = "R";
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
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64);
      DataOutputStream out = new DataOutputStream(bytes);
      if (o instanceof Write w) {
        writeHeader(out, w.id(), w.timeoutMillis(), w.traced(), w.replyTo());
        writeBytes(out, w.command().encode());
      } else if (o instanceof Get g) {
        writeHeader(out, g.id(), g.timeoutMillis(), g.traced(), g.replyTo());
        out.writeByte(g.consistency().ordinal());
        writeBytes(out, g.key());
      } else if (o instanceof Replies rs) {
        out.writeInt(rs.replies().size());
        for (Reply r : rs.replies()) {
          writeReply(out, r);
        }
      } else {
        throw new IllegalArgumentException("cannot serialize " + o.getClass());
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private void writeHeader(DataOutputStream out, long id, int timeoutMillis, boolean traced, ActorRef<Replies> replyTo)
      throws IOException {
    out.writeLong(id);
    out.writeInt(timeoutMillis);
    out.writeBoolean(traced);
    out.writeUTF(resolver().toSerializationFormat(replyTo));
  }

  private static final int HAS_RESULT = 1;
  private static final int HAS_SCAN = 2;
  private static final int HAS_MESSAGE = 4;
  private static final int HAS_HINT = 8;
  private static final int HAS_SERVED_BY = 16;
  private static final int HAS_TRACE = 32;

  private static void writeReply(DataOutputStream out, Reply r) throws IOException {
    out.writeLong(r.id());
    out.writeByte(r.code().wireValue());
    int flags = (r.result() != null ? HAS_RESULT : 0) | (r.scan() != null ? HAS_SCAN : 0)
        | (r.message() != null ? HAS_MESSAGE : 0) | (r.leaderHint() != null ? HAS_HINT : 0)
        | (r.servedBy() != null ? HAS_SERVED_BY : 0) | (r.trace() != null ? HAS_TRACE : 0);
    out.writeByte(flags);
    if (r.result() != null) {
      out.writeByte(r.result().code().wireValue());
      out.writeLong(r.result().version());
      writeBytes(out, r.result().value());
    }
    if (r.scan() != null) {
      out.writeInt(r.scan().entries().size());
      for (ScanEntry e : r.scan().entries()) {
        writeBytes(out, e.key());
        out.writeLong(e.version());
        writeBytes(out, e.value());
      }
      out.writeBoolean(r.scan().more());
    }
    if (r.message() != null) {
      writeString(out, r.message());
    }
    if (r.leaderHint() != null) {
      out.writeUTF(r.leaderHint());
    }
    if (r.servedBy() != null) {
      out.writeUTF(r.servedBy());
    }
    if (r.trace() != null) {
      out.writeByte(r.trace().length);
      for (long t : r.trace()) {
        out.writeLong(t);
      }
    }
  }

  /** A string of any length (error messages may exceed writeUTF's 64 KiB). */
  private static void writeString(DataOutputStream out, String s) throws IOException {
    writeBytes(out, s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
    if (b == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(b.length);
    out.write(b);
  }

  @Override
  public Object fromBinary(byte[] data, String manifest) throws NotSerializableException {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      Object o = switch (manifest) {
        case WRITE -> {
          long id = in.readLong();
          int timeout = in.readInt();
          boolean traced = in.readBoolean();
          ActorRef<Replies> replyTo = ref(in.readUTF());
          yield new Write(id, timeout, traced, KvCommand.decode(bytes(in, false)), replyTo);
        }
        case GET -> {
          long id = in.readLong();
          int timeout = in.readInt();
          boolean traced = in.readBoolean();
          ActorRef<Replies> replyTo = ref(in.readUTF());
          int c = in.readUnsignedByte();
          if (c >= Consistency.values().length) {
            throw new IOException("unknown consistency " + c);
          }
          yield new Get(id, timeout, traced, bytes(in, true), Consistency.values()[c], replyTo);
        }
        case REPLIES -> {
          int n = count(in);
          List<Reply> replies = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            replies.add(readReply(in));
          }
          yield new Replies(replies);
        }
        default -> throw new NotSerializableException("unknown client wire manifest '" + manifest + "'");
      };
      if (in.available() > 0) {
        throw new IOException(in.available() + " trailing bytes");
      }
      return o;
    } catch (IOException | RuntimeException e) {
      if (e instanceof NotSerializableException nse) {
        throw nse;
      }
      NotSerializableException ex = new NotSerializableException("malformed client message (manifest '" + manifest
          + "', " + data.length + " bytes): " + e.getMessage());
      ex.initCause(e);
      throw ex;
    }
  }

  private ActorRef<Replies> ref(String path) {
    ActorRef<Replies> r = refs.get(path);
    if (r == null) {
      if (refs.size() >= MAX_CACHED_REFS) {
        refs.clear();
      }
      r = resolver().resolveActorRef(path);
      refs.put(path, r);
    }
    return r;
  }

  private static Reply readReply(DataInputStream in) throws IOException {
    long id = in.readLong();
    ErrorCode code = ErrorCode.fromWire(in.readUnsignedByte());
    int flags = in.readUnsignedByte();
    KvResult result = null;
    if ((flags & HAS_RESULT) != 0) {
      ErrorCode rc = ErrorCode.fromWire(in.readUnsignedByte());
      long version = in.readLong();
      result = new KvResult(rc, version, bytes(in, true));
    }
    ScanPart scan = null;
    if ((flags & HAS_SCAN) != 0) {
      int n = count(in);
      List<ScanEntry> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        byte[] key = bytes(in, false);
        long version = in.readLong();
        entries.add(new ScanEntry(key, version, bytes(in, false)));
      }
      scan = new ScanPart(entries, in.readBoolean());
    }
    String message = (flags & HAS_MESSAGE) != 0 ? new String(bytes(in, false), java.nio.charset.StandardCharsets.UTF_8) : null;
    String hint = (flags & HAS_HINT) != 0 ? in.readUTF() : null;
    String servedBy = (flags & HAS_SERVED_BY) != 0 ? in.readUTF() : null;
    long[] trace = null;
    if ((flags & HAS_TRACE) != 0) {
      int n = in.readUnsignedByte();
      if (n != Trace.STAGES) {
        throw new IOException("trace of " + n + " stamps, expected " + Trace.STAGES);
      }
      trace = new long[n];
      for (int i = 0; i < n; i++) {
        trace[i] = in.readLong();
      }
    }
    return new Reply(id, code, result, scan, message, hint, servedBy, trace);
  }

  private static int count(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > MAX_ITEMS) {
      throw new IOException("count " + n + " out of range");
    }
    return n;
  }

  /** A length-prefixed byte string; -1 = null (allowed only where {@code nullable}). */
  private static byte[] bytes(DataInputStream in, boolean nullable) throws IOException {
    int n = in.readInt();
    if (n == -1 && nullable) {
      return null;
    }
    if (n < 0 || n > in.available()) {
      throw new IOException("length " + n + " exceeds the message");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }
}
