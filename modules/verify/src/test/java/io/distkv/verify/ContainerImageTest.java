package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distkv.common.io.Digests;
import io.distkv.common.io.FreePorts;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/**
 * The container image `scripts/build-image.sh` writes, taken apart as a container runtime would:
 * its manifest and config (entrypoint, user, volume, ports), each layer's digest against the
 * config's diff_ids, the data directory owned by the distkv user; then its layers unpacked into
 * a root file system and the image's own entrypoint run there under chroot, in new user, mount
 * and pid namespaces with /proc mounted (no Docker daemon needed, no root either): the node
 * starts on the image's Java runtime and libraries alone, serves RESP, stops on SIGTERM, and
 * started again on the same data serves what it acknowledged.
 */
@Tag("phase6")
class ContainerImageTest {
  @TempDir Path tmp;

  @Test
  void theImageRunsANodeOnItsOwnRuntimeThatServesAndStopsCleanly() throws Exception {
    Path image = tmp.resolve("distkv.tar");
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path buildLog = tmp.resolve("build.log");
    assertThat(run(buildLog, 300, "bash", "../../scripts/build-image.sh", "--out", image.toString(), "--classpath",
        classPath, "--tag", "distkv:test")).as(Files.readString(buildLog)).isZero();

    Path unpacked = Files.createDirectories(tmp.resolve("archive"));
    assertThat(run(tmp.resolve("untar.log"), 60, "tar", "-xf", image.toString(), "-C", unpacked.toString())).isZero();
    ObjectMapper json = new ObjectMapper();
    JsonNode manifest = json.readTree(unpacked.resolve("manifest.json").toFile()).get(0);
    assertThat(manifest.get("RepoTags").get(0).asText()).isEqualTo("distkv:test");
    JsonNode config = json.readTree(unpacked.resolve(manifest.get("Config").asText()).toFile());
    assertThat(config.get("os").asText()).isEqualTo("linux");
    JsonNode c = config.get("config");
    assertThat(c.get("User").asText()).isEqualTo("10001:10001");
    assertThat(c.get("Volumes").has("/var/lib/distkv")).isTrue();
    assertThat(c.get("Cmd").toString()).isEqualTo("[\"-c\",\"/etc/distkv/node.conf\"]");
    List<String> layers = new ArrayList<>();
    manifest.get("Layers").forEach(l -> layers.add(l.asText()));
    assertThat(layers).hasSize(2);
    for (int i = 0; i < layers.size(); i++) {
      assertThat("sha256:" + Digests.sha256(unpacked.resolve(layers.get(i)))).as("layer %d's digest", i)
          .isEqualTo(config.get("rootfs").get("diff_ids").get(i).asText());
    }
    Path listing = tmp.resolve("base-layer.txt");
    assertThat(run(listing, 60, "tar", "-tvf", unpacked.resolve(layers.get(0)).toString())).isZero();
    assertThat(Files.readAllLines(listing)).anyMatch(l -> l.contains("10001/10001") && l.endsWith("./var/lib/distkv/"));

    Path root = Files.createDirectories(tmp.resolve("root"));
    for (String layer : layers) {
      assertThat(run(tmp.resolve("layer.log"), 60, "tar", "-xf", unpacked.resolve(layer).toString(), "-C",
          root.toString())).isZero();
    }
    int port = FreePorts.next();
    int respPort = FreePorts.next();
    Files.writeString(root.resolve("etc/distkv/node.conf"), """
        distkv {
          node { id = "node1", host = "127.0.0.1", port = %d, resp-port = %d, data-dir = "/tmp/distkv-data" }
          cluster.members = ["node1@127.0.0.1:%d"]
          partitions = 4
          replication-factor = 1
        }
        """.formatted(port, respPort, port));
    List<String> command = new ArrayList<>(List.of("unshare", "--user", "--map-root-user", "--mount", "--pid", "--fork",
        "--kill-child=SIGKILL", "--mount-proc=" + root.resolve("proc"), "chroot", root.toString()));
    c.get("Entrypoint").forEach(a -> command.add(a.asText().replace("-XX:MaxRAMPercentage=60", "-Xmx256m")));
    c.get("Cmd").forEach(a -> command.add(a.asText()));

    runNode(command, respPort, tmp.resolve("node-1.log"), jedis -> {
      assertThat(jedis.set("from-the-image", "yes")).isEqualTo("OK");
      assertThat(jedis.get("from-the-image")).isEqualTo("yes");
    });
    // Started again on the data it left: it stopped cleanly and kept what it acknowledged.
    runNode(command, respPort, tmp.resolve("node-2.log"),
        jedis -> assertThat(jedis.get("from-the-image")).isEqualTo("yes"));
  }

  /** Runs the image's node until RESP answers, hands it to {@code check}, then stops it with SIGTERM. */
  private static void runNode(List<String> command, int respPort, Path nodeLog,
      java.util.function.Consumer<Jedis> check) throws Exception {
    Process node = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(nodeLog.toFile()).start();
    try {
      awaitPong(respPort, node, nodeLog);
      try (Jedis jedis = new Jedis("127.0.0.1", respPort)) {
        check.accept(jedis);
      }
    } finally {
      // SIGTERM to the node (unshare itself ignores it while it waits for its child), as
      // `docker stop` sends it to a container's process 1; unshare exits when the node has.
      node.toHandle().children().forEach(ProcessHandle::destroy);
      if (!node.waitFor(60, TimeUnit.SECONDS)) {
        node.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        node.destroyForcibly();
        throw new AssertionError("the node did not stop within 60 s of SIGTERM: " + Files.readString(nodeLog));
      }
    }
  }

  private static void awaitPong(int respPort, Process node, Path nodeLog) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      assertThat(node.isAlive()).as("the node runs; its output:\n%s", Files.readString(nodeLog)).isTrue();
      try (Jedis jedis = new Jedis("127.0.0.1", respPort)) {
        if ("PONG".equals(jedis.ping())) {
          return;
        }
      } catch (RuntimeException notYet) {
        assertThat(System.nanoTime()).as("RESP answers within 90 s; node output:\n%s", Files.readString(nodeLog))
            .isLessThan(deadline);
        node.waitFor(250, TimeUnit.MILLISECONDS); // a pause that ends early if the node exits
      }
    }
  }

  private static int run(Path log, int seconds, String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", command) + " did not finish within " + seconds + " s: "
          + Files.readString(log));
    }
    return p.exitValue();
  }
}
