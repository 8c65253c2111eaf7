package io.distkv.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distkv.testkit.DistKvTestCluster;
import io.lettuce.core.resource.ClientResources;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Smoke run of the load generator against an in-JVM cluster: completes, no errors, prints its table and JSON. */
@Tag("phase6")
class LoadGeneratorTest {
  @TempDir Path tmp;

  @Test
  void aShortMixedRunCompletesWithoutErrorsAndReportsItsTable() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(4).start()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      Path json = tmp.resolve("result.json");
      int code = LoadGenerator.run(new String[] {"--driver", "distkv", "--contact", String.join(",", cluster.contactPoints()),
          "--workload", "write,b", "--clients", "1,8", "--keys", "200", "--ops", "300", "--duration", "0", "--warmup", "0",
          "--distribution", "zipfian", "--json", json.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
      String out = bytes.toString(StandardCharsets.UTF_8);
      assertThat(code).as(out).isZero();
      assertThat(out).contains("preloaded 200 keys").contains("workload @clients").contains("max ms").contains("write-only @1")
          .contains("workload B @8");
      JsonNode doc = new ObjectMapper().readTree(json.toFile());
      assertThat(doc.get("results")).hasSize(4);
      for (JsonNode r : doc.get("results")) {
        assertThat(r.get("ops").asLong()).isEqualTo(300);
        assertThat(r.get("errors").size()).isZero();
        assertThat(r.get("opsPerSec").asDouble()).isPositive();
      }
      // Workload B is 95% reads: the mix shows in the per-kind counts.
      JsonNode b8 = doc.get("results").get(3);
      assertThat(b8.get("workload").asText()).isEqualTo("B");
      assertThat(b8.get("read").get("count").asLong()).isGreaterThan(b8.get("write").get("count").asLong() * 5);
    }
  }

  @Test
  void roundsMeasureEveryDriverAgainInReversedOrderAndSumUp() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(4).resp("").start()) {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      Path json = tmp.resolve("rounds.json");
      String endpoints = cluster.nodes().stream().map(n -> "127.0.0.1:" + n.respPort())
          .collect(java.util.stream.Collectors.joining(","));
      int code = LoadGenerator.run(new String[] {"--driver", "distkv,resp", "--contact",
          String.join(",", cluster.contactPoints()), "--resp-endpoints", endpoints, "--workload", "b", "--clients", "4",
          "--keys", "100", "--ops", "200", "--duration", "0", "--warmup", "0", "--rounds", "3", "--json",
          json.toString()}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
      String out = bytes.toString(StandardCharsets.UTF_8);
      assertThat(code).as(out).isZero();
      assertThat(out).contains("round 1 of 3: distkv, resp").contains("round 2 of 3: resp, distkv")
          .contains("round 3 of 3: distkv, resp").contains("all 3 rounds");
      // Each driver loads the keys once, in the first round (etcd's would be another store).
      String firstRound = out.substring(0, out.indexOf("round 2 of 3"));
      assertThat(firstRound).contains("preloaded 100 keys with distkv").contains("preloaded 100 keys with resp");
      assertThat(out.substring(firstRound.length())).doesNotContain("preloaded");
      // The summary line: each driver over its three rounds, distkv the base (1.00x).
      String summary = out.substring(out.indexOf("all 3 rounds"));
      assertThat(summary).containsPattern("workload B @4 +\\| distkv +[0-9,]+ ops/s  1\\.00x \\| resp +[0-9,]+ ops/s  [0-9.]+x");
      JsonNode doc = new ObjectMapper().readTree(json.toFile());
      assertThat(doc.get("rounds").asInt()).isEqualTo(3);
      List<String> drivers = new ArrayList<>();
      doc.get("results").forEach(r -> drivers.add(r.get("driver").asText()));
      assertThat(drivers).containsExactly("distkv", "resp", "resp", "distkv", "distkv", "resp");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = LoadGenerator.run(new String[] {"--rounds", "0"}, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(code).isNotZero();
  }

  @Test
  void theRespDriversRunTheSameWorkloadsThroughTheRedisProtocol() throws Exception {
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(4).hashTags(true).resp("").start()) {
      JsonNode doc = runRespDrivers(cluster, "resp.json", "--driver", "distkv,resp,distkv-resp,resp-jedis,resp-cluster",
          "--workload", "write,b");
      assertThat(doc.get("results")).hasSize(10);
      int resp = 0;
      int javaOverResp = 0;
      int jedis = 0;
      int slotted = 0;
      for (JsonNode r : doc.get("results")) {
        assertThat(r.get("ops").asLong()).isEqualTo(300);
        assertThat(r.get("errors").size()).as(doc.toString()).isZero();
        resp += r.get("driver").asText().equals("resp") ? 1 : 0;
        javaOverResp += r.get("driver").asText().equals("distkv-resp") ? 1 : 0;
        jedis += r.get("driver").asText().equals("resp-jedis") ? 1 : 0;
        slotted += r.get("driver").asText().equals("resp-cluster") ? 1 : 0;
      }
      assertThat(resp).isEqualTo(2);
      assertThat(javaOverResp).as("the Java client on its RESP transport").isEqualTo(2);
      assertThat(jedis).as("Jedis, a blocking connection per virtual user").isEqualTo(2);
      assertThat(slotted).as("Lettuce's Redis Cluster client (hash tags on)").isEqualTo(2);

      // Lettuce as it comes: one socket write per command.
      JsonNode plainDoc = runRespDrivers(cluster, "resp-plain.json", "--driver", "resp,resp-cluster",
          "--no-resp-consolidate-flushes", "--workload", "b");
      assertThat(plainDoc.get("results")).hasSize(2);
      for (JsonNode r : plainDoc.get("results")) {
        assertThat(r.get("ops").asLong()).isEqualTo(300);
        assertThat(r.get("errors").size()).isZero();
      }
    }
  }

  /**
   * Runs the load generator against {@code cluster}'s Java and RESP endpoints with {@code args}
   * (drivers, workloads, flags), 8 clients, 300 operations per combination on 200 keys, and
   * returns its JSON report; the run must exit 0.
   */
  private JsonNode runRespDrivers(DistKvTestCluster cluster, String jsonName, String... args) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Path json = tmp.resolve(jsonName);
    String endpoints = cluster.nodes().stream().map(n -> "127.0.0.1:" + n.respPort())
        .collect(java.util.stream.Collectors.joining(","));
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--contact", String.join(",", cluster.contactPoints()), "--resp-endpoints", endpoints,
        "--clients", "8", "--keys", "200", "--ops", "300", "--duration", "0", "--warmup", "0", "--json", json.toString()));
    int code = LoadGenerator.run(all.toArray(String[]::new), new PrintStream(bytes, true, StandardCharsets.UTF_8));
    assertThat(code).as(bytes.toString(StandardCharsets.UTF_8)).isZero();
    return new ObjectMapper().readTree(json.toFile());
  }

  @Test
  void consolidatedFlushesPutNettysFlushConsolidationFirstInEveryConnectionsPipeline() {
    ClientResources consolidated = LettuceDriver.resources(true);
    ClientResources plain = LettuceDriver.resources(false);
    try {
      EmbeddedChannel channel = new EmbeddedChannel();
      consolidated.nettyCustomizer().afterChannelInitialized(channel);
      assertThat(channel.pipeline().first()).isInstanceOf(FlushConsolidationHandler.class);

      EmbeddedChannel untouched = new EmbeddedChannel();
      plain.nettyCustomizer().afterChannelInitialized(untouched);
      assertThat(untouched.pipeline().get(FlushConsolidationHandler.class)).isNull();
      channel.finishAndReleaseAll();
      untouched.finishAndReleaseAll();
    } finally {
      consolidated.shutdown();
      plain.shutdown();
    }
  }

  @Test
  void keysAreUserAndTenDigitsAsYcsbFormatsThem() {
    for (long i : new long[] {0, 7, 42, 9_999_999_999L, 12_345_678_901L}) {
      assertThat(new String(LoadRun.key(i), StandardCharsets.US_ASCII)).isEqualTo(String.format("user%010d", i));
    }
  }

  @Test
  void zipfianKeysAreSkewedAndStayInRange() {
    KeyChooser zipf = KeyChooser.of("zipfian", 1000);
    Map<Long, Integer> counts = new HashMap<>();
    for (int i = 0; i < 100_000; i++) {
      long k = zipf.next();
      assertThat(k).isBetween(0L, 999L);
      counts.merge(k, 1, Integer::sum);
    }
    int hottest = counts.values().stream().max(Integer::compare).orElseThrow();
    // θ = 0.99 over 1,000 keys: the hottest key draws about 13% of all picks; uniform would be 0.1%.
    assertThat(hottest).isGreaterThan(8_000);
    KeyChooser uniform = KeyChooser.of("uniform", 1000);
    Map<Long, Integer> u = new HashMap<>();
    for (int i = 0; i < 100_000; i++) {
      u.merge(uniform.next(), 1, Integer::sum);
    }
    assertThat(u.values().stream().max(Integer::compare).orElseThrow()).isLessThan(250);
  }
}
