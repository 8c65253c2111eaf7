package io.distkv.raft.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.Entry;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import java.io.NotSerializableException;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase3")
class RaftWireSerializerTest {
  final RaftWireSerializer s = new RaftWireSerializer();

  RaftMessage roundTrip(RaftMessage m) throws Exception {
    byte[] bytes = s.toBinary(new RaftReplica.Inbound("p7", m));
    RaftReplica.Inbound back = (RaftReplica.Inbound) s.fromBinary(bytes, s.manifest(m));
    assertThat(back.group()).isEqualTo("p7");
    return back.message();
  }

  @Test
  void everyMessageTypeRoundTrips() throws Exception {
    List<RaftMessage> messages = List.of(
        new RaftMessage.PreVote("a", "b", 3, 10, 2),
        new RaftMessage.PreVoteResponse("b", "a", 3, true),
        new RaftMessage.RequestVote("a", "b", 3, 10, 2, true),
        new RaftMessage.VoteResponse("b", "a", 3, false),
        new RaftMessage.AppendResponse("b", "a", 3, false, 7, 2),
        new RaftMessage.Heartbeat("a", "b", 3, 9, 4, 1234),
        new RaftMessage.HeartbeatResponse("b", "a", 3, 4, 1234),
        new RaftMessage.SnapshotAck("b", "a", 3, 100, 4096),
        new RaftMessage.TimeoutNow("a", "b", 3));
    for (RaftMessage m : messages) {
      assertThat(roundTrip(m)).isEqualTo(m);
    }
    RaftMessage.AppendEntries ae = new RaftMessage.AppendEntries("a", "b", 3, 5, 2,
        List.of(Entry.normal(6, 3, new byte[] {1, 2, 3}), new Entry(7, 3, Entry.Type.NOOP, null)), 6);
    RaftMessage.AppendEntries back = (RaftMessage.AppendEntries) roundTrip(ae);
    assertThat(back.prevIndex()).isEqualTo(5);
    assertThat(back.entries()).hasSize(2);
    assertThat(back.entries().get(0).data()).containsExactly(1, 2, 3);
    assertThat(back.entries().get(1).type()).isEqualTo(Entry.Type.NOOP);
    SnapshotMeta meta = new SnapshotMeta(100, 3, Configuration.ofVoters("a", "b", "c"));
    assertThat(roundTrip(new RaftMessage.InstallSnapshot("a", "b", 3, meta)))
        .isEqualTo(new RaftMessage.InstallSnapshot("a", "b", 3, meta));
    RaftMessage.SnapshotOffer offer = (RaftMessage.SnapshotOffer) roundTrip(
        new RaftMessage.SnapshotOffer("a", "b", 3, meta, new byte[] {4, 5}));
    assertThat(offer.meta()).isEqualTo(meta);
    assertThat(offer.manifest()).containsExactly(4, 5);
    RaftMessage.SnapshotChunk chunk = (RaftMessage.SnapshotChunk) roundTrip(
        new RaftMessage.SnapshotChunk("a", "b", 3, 100, 1 << 20, new byte[] {9, 9}, 0x1234abcd));
    assertThat(chunk.snapshotIndex()).isEqualTo(100);
    assertThat(chunk.offset()).isEqualTo(1 << 20);
    assertThat(chunk.data()).containsExactly(9, 9);
    assertThat(chunk.crc()).isEqualTo(0x1234abcd);
  }

  @Test
  void malformedBytesAreAClearError() {
    byte[] bytes = s.toBinary(new RaftReplica.Inbound("g", new RaftMessage.TimeoutNow("a", "b", 1)));
    assertThatThrownBy(() -> s.fromBinary(java.util.Arrays.copyOf(bytes, 5), "I1"))
        .isInstanceOf(NotSerializableException.class).hasMessageContaining("malformed raft message");
    assertThatThrownBy(() -> s.fromBinary(bytes, "X9")).hasMessageContaining("unknown raft wire manifest 'X9'");
  }
}
