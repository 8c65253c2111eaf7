package io.distkv.raft.transport;

import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/**
 * Compact binary wire format of {@link RaftReplica.Inbound}, the hot message between nodes
 * (every AppendEntries and its answer). Hand-written instead of Jackson because it is on the
 * critical path of every commit; layout in docs/formats.md "Raft wire format".
 */
public final class RaftWireSerializer extends SerializerWithStringManifest {
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
    if (!(o instanceof RaftReplica.Inbound in)) {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeUTF(in.group());
      RaftMessage m = in.message();
      out.writeByte(typeOf(m));
      out.writeUTF(m.from());
      out.writeUTF(m.to());
      out.writeLong(m.term());
      if (m instanceof RaftMessage.PreVote v) {
        out.writeLong(v.lastIndex());
        out.writeLong(v.lastTerm());
      } else if (m instanceof RaftMessage.PreVoteResponse r) {
        out.writeBoolean(r.granted());
      } else if (m instanceof RaftMessage.RequestVote v) {
        out.writeLong(v.lastIndex());
        out.writeLong(v.lastTerm());
        out.writeBoolean(v.transfer());
      } else if (m instanceof RaftMessage.VoteResponse r) {
        out.writeBoolean(r.granted());
      } else if (m instanceof RaftMessage.AppendEntries a) {
        out.writeLong(a.prevIndex());
        out.writeLong(a.prevTerm());
        out.writeLong(a.commit());
        out.writeInt(a.entries().size());
        for (Entry e : a.entries()) {
          out.writeLong(e.index());
          out.writeLong(e.term());
          out.writeByte(e.type().ordinal());
          out.writeInt(e.data().length);
          out.write(e.data());
        }
      } else if (m instanceof RaftMessage.AppendResponse r) {
        out.writeBoolean(r.success());
        out.writeLong(r.index());
        out.writeLong(r.hintTerm());
      } else if (m instanceof RaftMessage.Heartbeat h) {
        out.writeLong(h.commit());
        out.writeLong(h.readRound());
        out.writeLong(h.sentTick());
      } else if (m instanceof RaftMessage.HeartbeatResponse r) {
        out.writeLong(r.readRound());
        out.writeLong(r.sentTick());
      } else if (m instanceof RaftMessage.InstallSnapshot s) {
        writeMeta(out, s.meta());
        out.writeLong(s.offset());
        out.writeInt(s.chunk().length);
        out.write(s.chunk());
        out.writeBoolean(s.done());
      } else if (m instanceof RaftMessage.SnapshotAck a) {
        out.writeLong(a.snapshotIndex());
        out.writeLong(a.nextOffset());
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
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
    }
    return 11; // TimeoutNow
  }

  private static void writeMeta(DataOutputStream out, SnapshotMeta meta) throws IOException {
    out.writeLong(meta.index());
    out.writeLong(meta.term());
    byte[] conf = meta.configuration().encode();
    out.writeInt(conf.length);
    out.write(conf);
  }

  private static SnapshotMeta readMeta(DataInputStream in) throws IOException {
    long index = in.readLong();
    long term = in.readLong();
    return new SnapshotMeta(index, term, Configuration.decode(bytes(in)));
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > in.available()) {
      throw new IOException("length " + n + " exceeds the message");
    }
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  @Override
  public Object fromBinary(byte[] data, String manifest) throws NotSerializableException {
    if (!MANIFEST.equals(manifest)) {
      throw new NotSerializableException("unknown raft wire manifest '" + manifest + "'");
    }
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
      String group = in.readUTF();
      int type = in.readUnsignedByte();
      String from = in.readUTF();
      String to = in.readUTF();
      long term = in.readLong();
      RaftMessage m = switch (type) {
        case 1 -> new RaftMessage.PreVote(from, to, term, in.readLong(), in.readLong());
        case 2 -> new RaftMessage.PreVoteResponse(from, to, term, in.readBoolean());
        case 3 -> new RaftMessage.RequestVote(from, to, term, in.readLong(), in.readLong(), in.readBoolean());
        case 4 -> new RaftMessage.VoteResponse(from, to, term, in.readBoolean());
        case 5 -> {
          long prevIndex = in.readLong();
          long prevTerm = in.readLong();
          long commit = in.readLong();
          int n = in.readInt();
          List<Entry> entries = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            long index = in.readLong();
            long t = in.readLong();
            Entry.Type et = Entry.Type.values()[in.readUnsignedByte()];
            entries.add(new Entry(index, t, et, bytes(in)));
          }
          yield new RaftMessage.AppendEntries(from, to, term, prevIndex, prevTerm, entries, commit);
        }
        case 6 -> new RaftMessage.AppendResponse(from, to, term, in.readBoolean(), in.readLong(), in.readLong());
        case 7 -> new RaftMessage.Heartbeat(from, to, term, in.readLong(), in.readLong(), in.readLong());
        case 8 -> new RaftMessage.HeartbeatResponse(from, to, term, in.readLong(), in.readLong());
        case 9 -> new RaftMessage.InstallSnapshot(from, to, term, readMeta(in), in.readLong(), bytes(in), in.readBoolean());
        case 10 -> new RaftMessage.SnapshotAck(from, to, term, in.readLong(), in.readLong());
        case 11 -> new RaftMessage.TimeoutNow(from, to, term);
        default -> throw new NotSerializableException("unknown raft message type " + type);
      };
      return new RaftReplica.Inbound(group, m);
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      NotSerializableException ex = new NotSerializableException("malformed raft message: " + e.getMessage());
      ex.initCause(e);
      throw ex;
    }
  }
}
