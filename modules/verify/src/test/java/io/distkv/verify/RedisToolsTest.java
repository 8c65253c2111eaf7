package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis's own tools against three node processes serving RESP (docs/resp.md): redis-cli through
 * any node, and {@code redis-benchmark -t set,get -n 20000 -c 50} with no error. Needs Debian's
 * redis-tools (`.ci/run` installs it when missing).
 */
@Tag("phase6")
class RedisToolsTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp;

  record Run(int exit, String out) {}

  static Run run(Duration within, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    if (!p.waitFor(within.toSeconds(), TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + within.toSeconds() + " s");
    }
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
  }

  static String cli(NodeCluster cluster, int node, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("redis-cli", "-p", Integer.toString(cluster.respPort(node))));
    command.addAll(List.of(args));
    Run r = run(Duration.ofSeconds(30), command.toArray(String[]::new));
    assertThat(r.exit()).as("%s: %s", command, r.out()).isZero();
    return r.out().trim();
  }

  /** How many WARN or ERROR lines node {@code node} has logged. */
  static long warnings(NodeCluster cluster, int node) throws IOException {
    try (java.util.stream.Stream<String> lines = java.nio.file.Files.lines(cluster.dir().resolve(NodeCluster.id(node) + ".log"))) {
      return lines.filter(l -> l.contains(" WARN ") || l.contains(" ERROR ")).count();
    }
  }

  @Test
  void redisCliAndRedisBenchmarkAgainstNodeProcesses() throws Exception {
    assertThat(Path.of("/usr/bin/redis-benchmark")).as("redis-tools (apt-get install redis-tools; .ci/run does)")
        .exists();
    try (NodeCluster cluster = new NodeCluster(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "512m"),
        tmp.resolve("cluster"), 3, "distkv.partitions = 16\n")) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      assertThat(cli(cluster, 0, "ping")).isEqualTo("PONG");
      assertThat(cli(cluster, 0, "set", "greeting", "hello")).isEqualTo("OK");
      assertThat(cli(cluster, 1, "get", "greeting")).isEqualTo("hello");
      assertThat(cli(cluster, 2, "incr", "visits")).isEqualTo("1");
      assertThat(cli(cluster, 0, "incrby", "visits", "41")).isEqualTo("42");
      assertThat(cli(cluster, 1, "dkv.getv", "greeting")).startsWith("hello\n").matches("(?s)hello\n[0-9]+");
      assertThat(cli(cluster, 2, "dkv.leader", "greeting")).matches("node[123]");
      assertThat(cli(cluster, 0, "get", "nothing-here")).isEmpty();
      Run error = run(Duration.ofSeconds(30), "redis-cli", "-p", Integer.toString(cluster.respPort(0)), "incr", "greeting");
      assertThat(error.out().trim()).isEqualTo("ERR value is not an integer or out of range");

      // The distkv command line: a RESP client too, so a node neither keeps nor misses it once it exits.
      List<Long> logBefore = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        logBefore.add(warnings(cluster, i));
      }
      for (int i = 0; i < 20; i++) {
        int node = i % 3;
        java.io.StringWriter out = new java.io.StringWriter();
        java.io.StringWriter err = new java.io.StringWriter();
        int code = io.distkv.cli.DistKvCli.run(new String[] {"--contact", "127.0.0.1:" + cluster.respPort(node), "put",
            "cli-" + i, "v" + i}, new java.io.PrintWriter(out), new java.io.PrintWriter(err));
        assertThat(code).as(err.toString()).isZero();
        assertThat(out.toString()).startsWith("OK version ");
      }

      Run bench = run(Duration.ofSeconds(300), "redis-benchmark", "-p", Integer.toString(cluster.respPort(0)),
          "-t", "set,get", "-n", "20000", "-c", "50", "-q");
      assertThat(bench.exit()).as(bench.out()).isZero();
      assertThat(bench.out()).as("redis-benchmark's summary").contains("SET: ").contains("GET: ")
          .doesNotContain("Error").doesNotContain("ERR");
      // The benchmark's writes went through Raft: another node reads them.
      assertThat(cli(cluster, 2, "exists", "key:__rand_int__")).isEqualTo("1");
      assertThat(cli(cluster, 1, "get", "cli-19")).isEqualTo("v19");
      // 20 CLI commands and the benchmark's 50 connections came and went, seconds ago: no node warned.
      for (int i = 0; i < 3; i++) {
        assertThat(warnings(cluster, i)).as("WARN/ERROR lines in %s", cluster.dir().resolve(NodeCluster.id(i) + ".log"))
            .isEqualTo(logBefore.get(i));
      }
    }
  }
}
