package io.distkv.raft.transport;

import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import io.distkv.common.protocol.Wire;
import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.ByteBufferSerializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary wire format of {@link RaftReplica.Inbound}, the hot message between nodes
 * (every AppendEntries and its answer). Hand-written instead of Jackson because it is on the
 * critical path of every commit, and a {@link ByteBufferSerializer}: Artery has it write into,
 * and read from, its envelope buffer directly (no array per message; with 4 KiB values the
 * copies were a visible share of a node's CPU). Layout in docs/formats.md "Raft wire format".
 */
public final class RaftWireSerializer extends SerializerWithStringManifest implements ByteBufferSerializer {
  private static final String MANIFEST = "I1";

  @Override
  public int identifier() {
    return 48_151_623;
  }

  @Override
  public String manifest(Object o) {
    return MANIFEST;
  }

  @Override
  public byte[] toBinary(Object o) {
    ByteBuffer b = ByteBuffer.allocate(size(inbound(o)));
    toBinary(o, b);
    return b.array();
  }

  private static RaftReplica.Inbound inbound(Object o) {
    if (!(o instanceof RaftReplica.Inbound in)) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
    return in;
  }

  /** Exact encoded size of {@code in}. */
  static int size(RaftReplica.Inbound in) {
    RaftMessage m = in.message();
    int size = Wire.utfSize(in.group()) + 1 + Wire.utfSize(m.from()) + Wire.utfSize(m.to()) + 8;
    if (m instanceof RaftMessage.PreVote) {
      size += 16;
    } else if (m instanceof RaftMessage.RequestVote) {
      size += 16 + 1;
    } else if (m instanceof RaftMessage.PreVoteResponse || m instanceof RaftMessage.VoteResponse) {
      size += 1;
    } else if (m instanceof RaftMessage.AppendEntries a) {
      size += 24 + 4;
      for (Entry e : a.entries()) {
        size += 8 + 8 + 1 + 4 + e.data().length;
      }
    } else if (m instanceof RaftMessage.AppendResponse) {
      size += 1 + 16;
    } else if (m instanceof RaftMessage.Heartbeat) {
      size += 24;
    } else if (m instanceof RaftMessage.HeartbeatResponse || m instanceof RaftMessage.SnapshotAck) {
      size += 16;
    } else if (m instanceof RaftMessage.InstallSnapshot s) {
      size += metaSize(s.meta());
    } else if (m instanceof RaftMessage.SnapshotOffer o) {
      size += metaSize(o.meta()) + 4 + o.manifest().length;
    } else if (m instanceof RaftMessage.SnapshotChunk c) {
      size += 16 + 4 + c.data().length + 4;
    }
    return size;
  }

  /** Writes {@code o} straight into Artery's buffer (no intermediate array). */
  @Override
  public void toBinary(Object o, ByteBuffer out) {
    RaftReplica.Inbound in = inbound(o);
    Wire.putUtf(out, in.group());
    RaftMessage m = in.message();
    out.put((byte) typeOf(m));
    Wire.putUtf(out, m.from());
    Wire.putUtf(out, m.to());
    out.putLong(m.term());
    if (m instanceof RaftMessage.PreVote v) {
      out.putLong(v.lastIndex());
      out.putLong(v.lastTerm());
    } else if (m instanceof RaftMessage.PreVoteResponse r) {
      putBoolean(out, r.granted());
    } else if (m instanceof RaftMessage.RequestVote v) {
      out.putLong(v.lastIndex());
      out.putLong(v.lastTerm());
      putBoolean(out, v.transfer());
    } else if (m instanceof RaftMessage.VoteResponse r) {
      putBoolean(out, r.granted());
    } else if (m instanceof RaftMessage.AppendEntries a) {
      out.putLong(a.prevIndex());
      out.putLong(a.prevTerm());
      out.putLong(a.commit());
      out.putInt(a.entries().size());
      for (Entry e : a.entries()) {
        out.putLong(e.index());
        out.putLong(e.term());
        out.put((byte) e.type().ordinal());
        out.putInt(e.data().length);
        out.put(e.data());
      }
    } else if (m instanceof RaftMessage.AppendResponse r) {
      putBoolean(out, r.success());
      out.putLong(r.index());
      out.putLong(r.hintTerm());
    } else if (m instanceof RaftMessage.Heartbeat h) {
      out.putLong(h.commit());
      out.putLong(h.readRound());
      out.putLong(h.sentTick());
    } else if (m instanceof RaftMessage.HeartbeatResponse r) {
      out.putLong(r.readRound());
      out.putLong(r.sentTick());
    } else if (m instanceof RaftMessage.InstallSnapshot s) {
      writeMeta(out, s.meta());
    } else if (m instanceof RaftMessage.SnapshotOffer so) {
      writeMeta(out, so.meta());
      out.putInt(so.manifest().length);
      out.put(so.manifest());
    } else if (m instanceof RaftMessage.SnapshotChunk c) {
      out.putLong(c.snapshotIndex());
      out.putLong(c.offset());
      out.putInt(c.data().length);
      out.put(c.data());
      out.putInt(c.crc());
    } else if (m instanceof RaftMessage.SnapshotAck a) {
      out.putLong(a.snapshotIndex());
      out.putLong(a.nextOffset());
    }
  }

  private static void putBoolean(ByteBuffer out, boolean v) {
    out.put((byte) (v ? 1 : 0));
  }

  private static boolean getBoolean(ByteBuffer in) {
    return in.get() != 0;
  }

  private static int typeOf(RaftMessage m) {
    if (m instanceof RaftMessage.PreVote) {
      return 1;
    } else if (m instanceof RaftMessage.PreVoteResponse) {
      return 2;
    } else if (m instanceof RaftMessage.RequestVote) {
      return 3;
    } else if (m instanceof RaftMessage.VoteResponse) {
      return 4;
    } else if (m instanceof RaftMessage.AppendEntries) {
      return 5;
    } else if (m instanceof RaftMessage.AppendResponse) {
      return 6;
    } else if (m instanceof RaftMessage.Heartbeat) {
      return 7;
    } else if (m instanceof RaftMessage.HeartbeatResponse) {
      return 8;
    } else if (m instanceof RaftMessage.InstallSnapshot) {
      return 9;
    } else if (m instanceof RaftMessage.SnapshotAck) {
      return 10;
    } else if (m instanceof RaftMessage.SnapshotOffer) {
      return 12;
    } else if (m instanceof RaftMessage.SnapshotChunk) {
      return 13;
    }
    return 11; // TimeoutNow
  }

  private static int metaSize(SnapshotMeta meta) {
    return 16 + 4 + meta.configuration().encode().length;
  }

  private static void writeMeta(ByteBuffer out, SnapshotMeta meta) {
    out.putLong(meta.index());
    out.putLong(meta.term());
    byte[] conf = meta.configuration().encode();
    out.putInt(conf.length);
    out.put(conf);
  }

  private static SnapshotMeta readMeta(ByteBuffer in) {
    long index = in.getLong();
    long term = in.getLong();
    return new SnapshotMeta(index, term, Configuration.decode(Wire.getBytes(in, false)));
  }

  @Override
  public Object fromBinary(byte[] data, String manifest) throws NotSerializableException {
    return fromBinary(ByteBuffer.wrap(data), manifest);
  }

  @Override
  public Object fromBinary(ByteBuffer in, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown raft wire manifest '" + manifest + "'");
    }
    try {
      String group = Wire.getUtf(in);
      int type = in.get() & 0xff;
      String from = Wire.getUtf(in);
      String to = Wire.getUtf(in);
      long term = in.getLong();
      RaftMessage m = switch (type) {
        case 1 -> new RaftMessage.PreVote(from, to, term, in.getLong(), in.getLong());
        case 2 -> new RaftMessage.PreVoteResponse(from, to, term, getBoolean(in));
        case 3 -> new RaftMessage.RequestVote(from, to, term, in.getLong(), in.getLong(), getBoolean(in));
        case 4 -> new RaftMessage.VoteResponse(from, to, term, getBoolean(in));
        case 5 -> {
          long prevIndex = in.getLong();
          long prevTerm = in.getLong();
          long commit = in.getLong();
          int n = Wire.getCount(in, Integer.MAX_VALUE);
          List<Entry> entries = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            long index = in.getLong();
            long t = in.getLong();
            int kind = in.get() & 0xff;
            if (kind >= Entry.Type.values().length) {
              throw new Wire.WireException("unknown entry kind " + kind);
            }
            entries.add(new Entry(index, t, Entry.Type.values()[kind], Wire.getBytes(in, false)));
          }
          yield new RaftMessage.AppendEntries(from, to, term, prevIndex, prevTerm, entries, commit);
        }
        case 6 -> new RaftMessage.AppendResponse(from, to, term, getBoolean(in), in.getLong(), in.getLong());
        case 7 -> new RaftMessage.Heartbeat(from, to, term, in.getLong(), in.getLong(), in.getLong());
        case 8 -> new RaftMessage.HeartbeatResponse(from, to, term, in.getLong(), in.getLong());
        case 9 -> new RaftMessage.InstallSnapshot(from, to, term, readMeta(in));
        case 10 -> new RaftMessage.SnapshotAck(from, to, term, in.getLong(), in.getLong());
        case 11 -> new RaftMessage.TimeoutNow(from, to, term);
        case 12 -> new RaftMessage.SnapshotOffer(from, to, term, readMeta(in), Wire.getBytes(in, false));
        case 13 -> new RaftMessage.SnapshotChunk(from, to, term, in.getLong(), in.getLong(), Wire.getBytes(in, false),
            in.getInt());
        default -> throw new NotSerializableException("unknown raft message type " + type);
      };
      if (in.hasRemaining()) {
        throw new Wire.WireException(in.remaining() + " trailing bytes");
      }
      return new RaftReplica.Inbound(group, m);
    } catch (Wire.WireException | java.nio.BufferUnderflowException | IllegalArgumentException e) {
      NotSerializableException ex = new NotSerializableException("malformed raft message: "
          + (e instanceof java.nio.BufferUnderflowException ? "message ends early" : e.getMessage()));
      ex.initCause(e);
      throw ex;
    }
  }
}
