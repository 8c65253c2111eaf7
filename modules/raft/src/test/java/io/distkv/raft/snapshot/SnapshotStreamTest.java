package io.distkv.raft.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.InvalidArgumentException;
import io.distkv.raft.Transport;
import io.distkv.raft.core.Configuration;
import io.distkv.raft.core.RaftMessage;
import io.distkv.raft.core.SnapshotMeta;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A snapshot's files streamed from a sender to a receiver through a transport that loses and
 * corrupts messages: the files arrive whole and identical, a receiver that stops mid-transfer
 * resumes after what it kept, and a staged file that does not match the manifest is received again.
 */
@Tag("phase3")
class SnapshotStreamTest {
  static final ActorTestKit kit = ActorTestKit.create("snapshot-stream");
  static final SnapshotMeta META = new SnapshotMeta(500, 3, Configuration.ofVoters("a", "b", "c"));
  static final int CHUNK = 64 << 10;

  @TempDir Path tmp;

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** A checkpoint directory: an empty file, a small one, one of several chunks, one byte. */
  Path checkpoint() throws Exception {
    Path dir = tmp.resolve("out");
    Path files = SnapshotDirs.files(dir);
    Files.createDirectories(files);
    Random r = new Random(7);
    Files.write(files.resolve("000001.sst"), new byte[0]);
    byte[] small = new byte[100];
    r.nextBytes(small);
    Files.write(files.resolve("000002.sst"), small);
    byte[] big = new byte[3 * CHUNK + 12345];
    r.nextBytes(big);
    Files.write(files.resolve("000003.sst"), big);
    Files.write(files.resolve("CURRENT"), new byte[] {'x'});
    return dir;
  }

  /** Messages between the sender ("a") and the receiver ("b"), through {@code pass} (false = lost). */
  static final class Link implements Transport {
    final AtomicReference<ActorRef<SnapshotSender.Command>> sender = new AtomicReference<>();
    final AtomicReference<ActorRef<SnapshotReceiver.Command>> receiver = new AtomicReference<>();
    final AtomicLong chunkBytesDelivered = new AtomicLong();
    volatile Predicate<RaftMessage> pass = m -> true;
    volatile boolean corruptSome;
    final Random random = new Random(11);

    @Override
    public void send(String group, RaftMessage m) {
      if (!pass.test(m)) {
        return;
      }
      if (m instanceof RaftMessage.SnapshotAck a) {
        ActorRef<SnapshotSender.Command> s = sender.get();
        if (s != null) {
          s.tell(new SnapshotSender.Acked(a));
        }
        return;
      }
      ActorRef<SnapshotReceiver.Command> r = receiver.get();
      if (r == null) {
        return;
      }
      if (m instanceof RaftMessage.SnapshotOffer o) {
        r.tell(new SnapshotReceiver.Offered(o));
      } else if (m instanceof RaftMessage.SnapshotChunk c) {
        byte[] data = c.data();
        synchronized (random) {
          if (corruptSome && random.nextInt(4) == 0) {
            data = data.clone();
            data[random.nextInt(data.length)] ^= 0x40; // a flipped bit the chunk's CRC must catch
          }
        }
        chunkBytesDelivered.addAndGet(data.length);
        r.tell(new SnapshotReceiver.Chunk(new RaftMessage.SnapshotChunk(c.from(), c.to(), c.term(), c.snapshotIndex(),
            c.offset(), data, c.crc())));
      }
    }
  }

  ActorRef<SnapshotSender.Command> startSender(Link link, Path dir, TestProbe<SnapshotSender.Ended> ended) {
    SnapshotSender.Params p = new SnapshotSender.Params("g", "a", "b", 3, dir, META, CHUNK, 4L * CHUNK,
        Duration.ofMillis(100), Duration.ofSeconds(10), 0);
    ActorRef<SnapshotSender.Command> s = kit.spawn(SnapshotSender.create(p, link, ended.ref()));
    link.sender.set(s);
    return s;
  }

  ActorRef<SnapshotReceiver.Command> startReceiver(Link link, SnapshotDirs dirs, TestProbe<SnapshotReceiver.Received> got) {
    ActorRef<SnapshotReceiver.Command> r = kit.spawn(SnapshotReceiver.create("g", "b", dirs, link, got.ref()));
    link.receiver.set(r);
    return r;
  }

  static void assertSameFiles(Path sourceDir, Path receivedDir) throws Exception {
    try (var s = Files.list(SnapshotDirs.files(sourceDir))) {
      for (Path f : s.toList()) {
        assertThat(SnapshotDirs.files(receivedDir).resolve(f.getFileName().toString())).as(f.getFileName().toString())
            .hasSameBinaryContentAs(f);
      }
    }
  }

  @Test
  void filesArriveWholeThroughLostAndCorruptedChunks() throws Exception {
    Path source = checkpoint();
    Link link = new Link();
    link.corruptSome = true;
    Random loss = new Random(5);
    link.pass = m -> !(m instanceof RaftMessage.SnapshotChunk) || loss.nextInt(5) != 0; // a fifth of the chunks lost
    SnapshotDirs dirs = new SnapshotDirs(tmp.resolve("b"));
    TestProbe<SnapshotReceiver.Received> got = kit.createTestProbe();
    TestProbe<SnapshotSender.Ended> ended = kit.createTestProbe();
    startReceiver(link, dirs, got);
    startSender(link, source, ended);

    SnapshotReceiver.Received r = got.expectMessageClass(SnapshotReceiver.Received.class, Duration.ofSeconds(30));
    assertThat(r.meta()).isEqualTo(META);
    assertThat(r.from()).isEqualTo("a");
    assertThat(dirs.completed(META)).isEqualTo(r.dir());
    assertSameFiles(source, r.dir());
    assertThat(ended.expectMessageClass(SnapshotSender.Ended.class, Duration.ofSeconds(10)).completed()).isTrue();
    assertThat(SnapshotManifest.readFrom(source)).as("the sender wrote the manifest beside the files for reuse")
        .isEqualTo(SnapshotManifest.readFrom(r.dir()));
  }

  /**
   * A transfer whose receiver's node "dies" once two chunks are in (nothing more reaches it or
   * comes from it); then receiver and sender are stopped, the two chunks kept on disk.
   */
  void stopAfterTwoChunks(Path source, SnapshotDirs dirs) {
    Link first = new Link();
    AtomicLong passed = new AtomicLong();
    first.pass = m -> !(m instanceof RaftMessage.SnapshotChunk) || passed.incrementAndGet() <= 2;
    ActorRef<SnapshotReceiver.Command> r1 = startReceiver(first, dirs, kit.createTestProbe());
    ActorRef<SnapshotSender.Command> s1 = startSender(first, source, kit.createTestProbe());
    TestProbe<Object> watcher = kit.createTestProbe();
    watcher.awaitAssert(Duration.ofSeconds(10), () -> {
      assertThat(first.chunkBytesDelivered.get()).isEqualTo(2L * CHUNK);
      return null;
    });
    kit.stop(r1);
    kit.stop(s1);
  }

  @Test
  void aSenderWhosePeerIsDownSendsNoMoreThanOneWindowAndResumesWhenItAnswers() throws Exception {
    Path source = checkpoint();
    TestProbe<SnapshotReceiver.Received> got = kit.createTestProbe();
    TestProbe<SnapshotSender.Ended> ended = kit.createTestProbe();
    Link link = new Link();
    AtomicLong chunkBytesSent = new AtomicLong();
    java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean();
    java.util.concurrent.CountDownLatch offersWhileDown = new java.util.concurrent.CountDownLatch(10);
    link.pass = m -> {
      if (m instanceof RaftMessage.SnapshotChunk c) {
        chunkBytesSent.addAndGet(c.data().length);
        if (c.offset() > 0) {
          down.set(true); // after its first chunk the peer goes down: nothing reaches it, nothing comes back
        }
      } else if (m instanceof RaftMessage.SnapshotOffer && down.get()) {
        offersWhileDown.countDown();
      }
      return !down.get();
    };
    startReceiver(link, new SnapshotDirs(tmp.resolve("down")), got);
    startSender(link, source, ended);
    // Ten retransmit intervals (100 ms each) with the peer down: the sender only asks again.
    assertThat(offersWhileDown.await(10, java.util.concurrent.TimeUnit.SECONDS)).as("it keeps asking the peer").isTrue();
    assertThat(chunkBytesSent.get()).as("data sent while the peer is down: the first window only")
        .isLessThanOrEqualTo(4L * CHUNK);
    link.pass = m -> true; // the peer is back: its answer to the next offer resumes the stream
    SnapshotReceiver.Received r = got.expectMessageClass(SnapshotReceiver.Received.class, Duration.ofSeconds(30));
    assertSameFiles(source, r.dir());
  }

  @Test
  void aReceiverThatStopsMidTransferResumesAfterWhatItKept() throws Exception {
    Path source = checkpoint();
    long total = SnapshotManifest.describe(META, SnapshotDirs.files(source)).totalBytes();
    SnapshotDirs dirs = new SnapshotDirs(tmp.resolve("b"));
    stopAfterTwoChunks(source, dirs);
    TestProbe<SnapshotReceiver.Received> got = kit.createTestProbe();
    TestProbe<SnapshotSender.Ended> ended = kit.createTestProbe();

    // A new receiver (the node restarted) on the same directories, and a new offer of the same snapshot.
    Link second = new Link();
    startReceiver(second, dirs, got);
    startSender(second, source, ended);
    SnapshotReceiver.Received r = got.expectMessageClass(SnapshotReceiver.Received.class, Duration.ofSeconds(30));
    assertSameFiles(source, r.dir());
    assertThat(second.chunkBytesDelivered.get()).as("only what the first receiver did not keep was sent again")
        .isEqualTo(total - 2L * CHUNK);
  }

  @Test
  void aStagedFileThatDoesNotMatchTheManifestIsReceivedAgain() throws Exception {
    Path source = checkpoint();
    SnapshotDirs dirs = new SnapshotDirs(tmp.resolve("b"));
    stopAfterTwoChunks(source, dirs);
    TestProbe<SnapshotReceiver.Received> got = kit.createTestProbe();
    TestProbe<SnapshotSender.Ended> ended = kit.createTestProbe();
    // Bit rot in what was kept (its chunks' checksums were good when they arrived).
    Path staged = SnapshotDirs.files(dirs.staging(META)).resolve("000002.sst");
    byte[] bytes = Files.readAllBytes(staged);
    bytes[10] ^= 1;
    Files.write(staged, bytes);

    Link second = new Link();
    startReceiver(second, dirs, got);
    startSender(second, source, ended);
    SnapshotReceiver.Received r = got.expectMessageClass(SnapshotReceiver.Received.class, Duration.ofSeconds(30));
    assertSameFiles(source, r.dir());
  }

  @Test
  void manifestsRoundTripAndRefuseBadBytesByName() throws Exception {
    SnapshotManifest m = SnapshotManifest.describe(META, SnapshotDirs.files(checkpoint()));
    assertThat(m.files()).extracting(SnapshotManifest.FileEntry::name)
        .containsExactly("000001.sst", "000002.sst", "000003.sst", "CURRENT");
    assertThat(SnapshotManifest.decode(m.encode())).isEqualTo(m);
    byte[] bad = m.encode();
    bad[20] ^= 1;
    assertThatThrownBy(() -> SnapshotManifest.decode(bad)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("checksum mismatch");
    assertThatThrownBy(() -> SnapshotManifest.decode(new byte[3])).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("too short");
    for (String name : List.of("../escape", "a/b", "..", "", SnapshotManifest.FILE_NAME)) {
      assertThatThrownBy(() -> new SnapshotManifest.FileEntry(name, 1, 0)).isInstanceOf(InvalidArgumentException.class)
          .hasMessageContaining("bad snapshot file name");
    }
  }
}
