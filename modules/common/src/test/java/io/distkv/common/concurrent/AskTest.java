package io.distkv.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class AskTest {
  record Echo(String text, ActorRef<String> replyTo) {}

  static final ActorTestKit kit = ActorTestKit.create("asktest");

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  @Test
  void continuationsRunOnTheDeliveringThreadNotOnANewOne() throws Exception {
    ActorRef<Echo> echo = kit.spawn(Behaviors.receive(Echo.class).onMessage(Echo.class, e -> {
      e.replyTo().tell(e.text());
      return Behaviors.same();
    }).build());
    CompletableFuture<String> thread = new CompletableFuture<>();
    CompletableFuture<String> answer = Ask.<Echo, String>ask(echo, r -> new Echo("hi", r), Duration.ofSeconds(5), kit.scheduler())
        .whenComplete((v, e) -> thread.complete(Thread.currentThread().getName()))
        .thenApply(v -> v + "!");
    assertThat(answer.get(5, TimeUnit.SECONDS)).isEqualTo("hi!");
    // The delivering dispatcher thread, or this thread if the answer came before the callback was
    // attached. AskPattern's own stage would run it on ForkJoinPool.commonPool or, with < 3 cores,
    // on a fresh "Thread-N" per continuation.
    String caller = Thread.currentThread().getName();
    assertThat(thread.get(5, TimeUnit.SECONDS)).satisfiesAnyOf(
        name -> assertThat(name).startsWith("asktest-"),
        name -> assertThat(name).isEqualTo(caller));
  }

  @Test
  void noAnswerCompletesExceptionallyWithATimeout() {
    ActorRef<Echo> silent = kit.spawn(Behaviors.receive(Echo.class).onMessage(Echo.class, e -> Behaviors.same()).build());
    CompletableFuture<String> answer = Ask.ask(silent, r -> new Echo("x", r), Duration.ofMillis(100), kit.scheduler());
    assertThatThrownBy(() -> answer.get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasCauseInstanceOf(TimeoutException.class);
  }
}
