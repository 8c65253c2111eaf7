package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * A node's HTTP endpoints (docs/operations.md) on node processes: /metrics parses with the
 * Prometheus client's own parser (Debian's python3-prometheus-client, installed by .ci/run) in
 * both text formats, its request counters move under load, /health answers, and /ready answers
 * 200 on a healthy node and 503 once the node is cut off from its peers (both frozen).
 */
@Tag("phase6")
class NodeHttpTest {
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) Path tmp;

  static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /** Parses a scrape with prometheus_client and prints "family sum-of-samples" lines; fails on a parse error. */
  static final String PARSE = """
      import sys
      from prometheus_client.parser import text_string_to_metric_families as text
      from prometheus_client.openmetrics.parser import text_string_to_metric_families as om
      parse = om if sys.argv[1] == 'openmetrics' else text
      for f in parse(sys.stdin.read()):
          print(f.name, f.type, sum(s.value for s in f.samples if s.name.endswith('_count') or f.type != 'histogram'))
      """;

  static HttpResponse<String> get(int port, String path, String accept) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Family name → (type, sum) as the Prometheus client parsed the scrape. */
  static Map<String, String[]> parse(String scrape, String format) throws Exception {
    Process p = new ProcessBuilder("/usr/bin/python3", "-c", PARSE, format).redirectErrorStream(true).start();
    p.getOutputStream().write(scrape.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("prometheus_client's %s parser (apt-get install python3-prometheus-client): %s", format,
        out).isZero();
    Map<String, String[]> families = new HashMap<>();
    out.lines().forEach(l -> {
      String[] f = l.split(" ");
      families.put(f[0], new String[] {f[1], f[2]});
    });
    return families;
  }

  /** Requests answered by every node's router so far (distkv_requests_seconds counts, all ops and codes). */
  static double requests(NodeCluster cluster) throws Exception {
    double sum = 0;
    for (int i = 0; i < cluster.size(); i++) {
      String[] f = parse(get(cluster.httpPort(i), "/metrics", null).body(), "text").get("distkv_requests_seconds");
      sum += f == null ? 0 : Double.parseDouble(f[1]);
    }
    return sum;
  }

  @Test
  void metricsParseAndMoveHealthAnswersAndReadyTurns503WhenTheNodeIsCutOff() throws Exception {
    try (NodeCluster cluster = new NodeCluster(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "384m"),
        tmp.resolve("cluster"), 3, "distkv.partitions = 8\n")) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      int node3 = cluster.httpPort(2);
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> health = get(cluster.httpPort(i), "/health", null);
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"node\":\"node" + (i + 1) + "\"");
      }
      cluster.awaitReadyStatus(2, 200, Duration.ofSeconds(60));
      assertThat(get(node3, "/nowhere", null).statusCode()).isEqualTo(404);

      Map<String, String[]> before = parse(get(node3, "/metrics", null).body(), "text");
      assertThat(before).containsKeys("distkv_raft_term", "distkv_raft_apply_lag", "distkv_store_l0_files",
          "distkv_store_level_bytes", "distkv_partitions_hosted", "distkv_raft_log_fsyncs", "distkv_storage_compaction_queue",
          "jvm_memory_used_bytes", "jvm_gc_pause_seconds", "distkv_raft_pending_proposals", "distkv_raft_leader_changes");
      assertThat(before.get("distkv_partitions_hosted")[1]).isEqualTo("8.0");
      assertThat(Double.parseDouble(before.get("distkv_raft_leader_changes")[1])).as("each replica has learned of a leader")
          .isGreaterThanOrEqualTo(8);
      double requestsBefore = requests(cluster);
      try (Jedis r = new Jedis("127.0.0.1", cluster.respPort(2))) {
        for (int i = 0; i < 40; i++) {
          r.set("http-" + i, "v");
        }
      }
      // Each SET was answered by the router of its partition's leader, on any of the three nodes.
      assertThat(requests(cluster)).isGreaterThanOrEqualTo(requestsBefore + 40);
      Map<String, String[]> loaded = Map.of();
      for (int i = 0; i < 3 && !loaded.containsKey("distkv_requests_seconds"); i++) { // a node whose router answered some
        loaded = parse(get(cluster.httpPort(i), "/metrics", null).body(), "text");
      }
      // Every series the Grafana dashboard plots exists (counters and histograms by their family name).
      String dashboard = java.nio.file.Files.readString(Path.of("../../docs/grafana/distkv.json"));
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\b((?:distkv|jvm)_[a-z0-9_]+)").matcher(dashboard);
      while (m.find()) {
        String family = m.group(1).replaceAll("_(total|bucket|count|sum)$", "");
        assertThat(loaded).as("docs/grafana/distkv.json plots %s", m.group(1)).containsKey(family);
      }
      HttpResponse<String> om = get(node3, "/metrics", "application/openmetrics-text; version=1.0.0");
      assertThat(om.headers().firstValue("Content-Type").orElse("")).startsWith("application/openmetrics-text");
      assertThat(parse(om.body(), "openmetrics")).containsKeys("distkv_raft_term", "jvm_memory_used_bytes");
      assertThat(loaded.get("distkv_requests_seconds")[0]).isEqualTo("histogram");

      cluster.pause(0); // SIGSTOP: node3 is cut off from both peers
      cluster.pause(1);
      try {
        HttpResponse<String> notReady = cluster.awaitReadyStatus(2, 503, Duration.ofSeconds(60));
        assertThat(notReady.body()).contains("\"ready\":false").contains("partitions_without_leader");
        assertThat(get(node3, "/health", null).statusCode()).isEqualTo(200); // alive, just not ready
      } finally {
        cluster.resume(0);
        cluster.resume(1);
      }
      cluster.awaitReadyStatus(2, 200, Duration.ofSeconds(120)); // ready again once its peers are back
    }
  }
}
