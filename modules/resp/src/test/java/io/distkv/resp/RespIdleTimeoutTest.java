package io.distkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * distkv.resp.idle-timeout: a connection with nothing in flight and no traffic is closed; one
 * waiting for a slow answer (add-node takes minutes) is not. A test command, TEST.SLOW ms, answers
 * after ms milliseconds of the scheduler's time.
 */
@Tag("phase5")
class RespIdleTimeoutTest {
  static final Duration IDLE = Duration.ofMillis(400);
  ActorSystem<Void> system;
  RespServer server;

  @BeforeEach
  void start() {
    system = ActorSystem.create(Behaviors.empty(), "resp-idle");
    RespCommands commands = new RespCommands(null, "node1", "", io.distkv.common.auth.Users.NONE); // no cluster: only TEST.SLOW and PING are used
    commands.add("TEST.SLOW", 2, false, (c, a) -> {
      CompletableFuture<RespReply> reply = new CompletableFuture<>();
      long ms = RespCommands.integer(a.get(1));
      CompletableFuture.delayedExecutor(ms, TimeUnit.MILLISECONDS).execute(() -> reply.complete(RespReply.OK));
      return reply;
    });
    server = RespServer.start(system, commands, RespServer.Settings.forLimits("127.0.0.1", 0, 16, IDLE, 1024, 1 << 20));
  }

  @AfterEach
  void stop() {
    server.close();
    system.terminate();
  }

  Socket connect() throws Exception {
    Socket s = new Socket("127.0.0.1", server.address().getPort());
    s.setSoTimeout(10_000);
    return s;
  }

  @Test
  void aConnectionWithNothingInFlightIsClosedAfterTheIdleTimeout() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(new String(in.readNBytes(7), StandardCharsets.US_ASCII)).isEqualTo("+PONG\r\n");
      long t0 = System.nanoTime();
      assertThat(in.read()).as("end of stream: the server closed the idle connection").isEqualTo(-1);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isGreaterThanOrEqualTo(IDLE.minusMillis(50));
    }
  }

  @Test
  void aRequestSlowerThanTheIdleTimeoutKeepsItsConnectionAndGetsItsAnswer() throws Exception {
    try (Socket s = connect()) {
      long slow = IDLE.toMillis() * 4;
      s.getOutputStream().write(("TEST.SLOW " + slow + "\r\nPING\r\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = s.getInputStream();
      assertThat(new String(in.readNBytes(5 + 7), StandardCharsets.US_ASCII)).isEqualTo("+OK\r\n+PONG\r\n");
    }
  }
}
