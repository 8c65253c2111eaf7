package io.distkv.common.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol.Get;
import io.distkv.common.protocol.ClientProtocol.Replies;
import io.distkv.common.protocol.ClientProtocol.Reply;
import io.distkv.common.protocol.ClientProtocol.ScanEntry;
import io.distkv.common.protocol.ClientProtocol.ScanPart;
import io.distkv.common.protocol.ClientProtocol.Write;
import java.io.NotSerializableException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The request pipeline's wire format: every field survives, bad bytes are refused by name. */
@Tag("phase1")
class ClientWireSerializerTest {
  static final ActorTestKit KIT = ActorTestKit.create();

  @AfterAll
  static void stop() {
    KIT.shutdownTestKit();
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  final Serialization serialization = SerializationExtension.get(KIT.system().classicSystem());

  Object roundTrip(Object o) throws Exception {
    Serializer s = serialization.findSerializerFor(o);
    assertThat(s).isInstanceOf(ClientWireSerializer.class);
    ClientWireSerializer cw = (ClientWireSerializer) s;
    return cw.fromBinary(cw.toBinary(o), cw.manifest(o));
  }

  @Test
  void writesGetsAndRepliesKeepEveryField() throws Exception {
    TestProbe<Replies> inbox = KIT.createTestProbe();
    KvCommand cmd = new KvCommand("client-1", 7, 5, List.of(KvCommand.Op.put(b("k"), b("v")),
        KvCommand.Op.compareAndSet(b("k2"), 3, b("w")), KvCommand.Op.delete(b("k3"))));
    Write w = (Write) roundTrip(new Write(42, 4_900, true, cmd, inbox.getRef()));
    assertThat(w.id()).isEqualTo(42);
    assertThat(w.timeoutMillis()).isEqualTo(4_900);
    assertThat(w.traced()).isTrue();
    assertThat(w.replyTo()).isEqualTo(inbox.getRef());
    assertThat(w.command().encode()).isEqualTo(cmd.encode());

    Get g = (Get) roundTrip(new Get(43, 10, false, b("key"), Consistency.EVENTUAL, inbox.getRef()));
    assertThat(g.key()).isEqualTo(b("key"));
    assertThat(g.consistency()).isEqualTo(Consistency.EVENTUAL);
    assertThat(g.replyTo()).isEqualTo(inbox.getRef());

    ClientProtocol.Requests batch = (ClientProtocol.Requests) roundTrip(new ClientProtocol.Requests(List.of(
        new Write(44, 100, false, cmd, inbox.getRef()), new Get(45, 200, true, b("g"), Consistency.LINEARIZABLE,
            inbox.getRef()))));
    assertThat(batch.requests()).hasSize(2);
    assertThat(((Write) batch.requests().get(0)).command().encode()).isEqualTo(cmd.encode());
    assertThat(((Get) batch.requests().get(1)).key()).isEqualTo(b("g"));
    assertThat(batch.requests().get(1).traced()).isTrue();
    assertThat(batch.requests().get(1).id()).isEqualTo(45);

    long[] trace = new long[Trace.STAGES];
    Arrays.fill(trace, 99);
    Replies rs = (Replies) roundTrip(new Replies(List.of(
        new Reply(1, ErrorCode.OK, new KvResult(ErrorCode.OK, 17, b("value")), null, null, null, "node1", trace),
        new Reply(2, ErrorCode.OK, new KvResult(ErrorCode.NOT_FOUND, 0, null), null, null, null, "node2", null),
        new Reply(3, ErrorCode.OK, null, new ScanPart(List.of(new ScanEntry(b("a"), 5, b("x"))), true), null, null, "n", null),
        Reply.error(4, ErrorCode.NOT_LEADER, "replica node1 of p3 is FOLLOWER", "node2", "node1"))));
    assertThat(rs.replies()).hasSize(4);
    Reply r1 = rs.replies().get(0);
    assertThat(r1.id()).isEqualTo(1);
    assertThat(r1.result().version()).isEqualTo(17);
    assertThat(r1.result().value()).isEqualTo(b("value"));
    assertThat(r1.servedBy()).isEqualTo("node1");
    assertThat(r1.trace()).containsExactly(trace);
    assertThat(rs.replies().get(1).result().code()).isEqualTo(ErrorCode.NOT_FOUND);
    assertThat(rs.replies().get(1).result().value()).isNull();
    assertThat(rs.replies().get(2).scan().entries().get(0).key()).isEqualTo(b("a"));
    assertThat(rs.replies().get(2).scan().more()).isTrue();
    Reply err = rs.replies().get(3);
    assertThat(err.code()).isEqualTo(ErrorCode.NOT_LEADER);
    assertThat(err.message()).contains("FOLLOWER");
    assertThat(err.leaderHint()).isEqualTo("node2");
    assertThat(err.result()).isNull();
  }

  @Test
  void truncatedOrCorruptBytesAreRefusedNamingTheMessage() throws Exception {
    TestProbe<Replies> inbox = KIT.createTestProbe();
    ClientWireSerializer cw = (ClientWireSerializer) serialization.findSerializerFor(
        new Get(1, 1, false, b("k"), Consistency.LINEARIZABLE, inbox.getRef()));
    byte[] good = cw.toBinary(new Get(1, 1, false, b("k"), Consistency.LINEARIZABLE, inbox.getRef()));
    for (int cut = 0; cut < good.length; cut++) {
      byte[] truncated = Arrays.copyOf(good, cut);
      assertThatThrownBy(() -> cw.fromBinary(truncated, "G")).isInstanceOf(NotSerializableException.class)
          .hasMessageContaining("malformed client message");
    }
    byte[] trailing = Arrays.copyOf(good, good.length + 1);
    assertThatThrownBy(() -> cw.fromBinary(trailing, "G")).hasMessageContaining("trailing");
    byte[] hugeCount = {0x7f, 0, 0, 0};
    assertThatThrownBy(() -> cw.fromBinary(hugeCount, "R")).hasMessageContaining("out of range");
    assertThatThrownBy(() -> cw.fromBinary(good, "X")).isInstanceOf(NotSerializableException.class)
        .hasMessageContaining("unknown client wire manifest");
  }
}
