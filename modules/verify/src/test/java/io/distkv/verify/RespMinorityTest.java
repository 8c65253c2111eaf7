package io.distkv.verify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.distkv.common.concurrent.Poll;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Three node processes; node3 is left alone: the other two are frozen (SIGSTOP; nobody is downed:
 * down-unreachable-after 60 s), so to node3 they are silent as behind a partition. On node3's RESP
 * port a write is refused with
 * {@code -READONLY}, a linearizable read with an error, and after READONLY a read answers from
 * node3's own replica: the value written before. Afterwards the others resume and nothing was written on the minority.
 */
@Tag("phase4")
class RespMinorityTest {
  @TempDir Path tmp;

  @Test
  void theCutOffMinorityIsReadOnlyThroughRedis() throws Exception {
    String conf = "distkv { partitions = 4, cluster.down-unreachable-after = 60s, client.request-timeout = 10s }";
    try (NodeCluster cluster = new NodeCluster(NodeCluster.classPathLaunch(System.getProperty("java.class.path"), "384m"),
        tmp, 3, conf)) {
      cluster.startAll();
      cluster.awaitReady(Duration.ofSeconds(120));
      try (Jedis node1 = new Jedis("127.0.0.1", cluster.respPort(0));
           Jedis node3 = new Jedis("127.0.0.1", cluster.respPort(2), 20_000)) {
        assertThat(node1.set("k", "before the cut")).isEqualTo("OK");
        assertThat(node3.readonly()).isEqualTo("OK");
        Poll.await("node3's replica has the write", Duration.ofSeconds(30),
            () -> "before the cut".equals(node3.get("k")));
        assertThat(node3.readwrite()).isEqualTo("OK");

        cluster.pause(0); // SIGSTOP: to node3 the other two fall silent, as behind a partition
        cluster.pause(1);
        // Once node3's failure detector has marked the others unreachable, its router refuses
        // writes at once; until then a write waits for the silent leader and times out.
        String[] lastAnswer = {""};
        Poll.await("node3 refuses writes with -READONLY", Duration.ofSeconds(90), () -> {
          Throwable write = catchThrowable(() -> node3.set("k", "on the minority"));
          lastAnswer[0] = String.valueOf(write);
          if (write instanceof JedisDataException && write.getMessage().startsWith("READONLY")) {
            return true;
          }
          throw new IllegalStateException("node3 answered the write with " + lastAnswer[0]);
        });
        Throwable read = catchThrowable(() -> node3.get("k"));
        assertThat(read).as("a linearizable read without a quorum").isInstanceOf(JedisDataException.class)
            .hasMessageMatching("(CLUSTERDOWN|TRYAGAIN|READONLY) .*");
        assertThat(node3.readonly()).isEqualTo("OK");
        assertThat(node3.get("k")).as("READONLY: node3's own replica").isEqualTo("before the cut");

        cluster.resume(0);
        cluster.resume(1);
        // (a new connection: the one node1 stopped answering while frozen is broken)
        Poll.await("node1 answers again", Duration.ofSeconds(60), () -> {
          try (Jedis again = new Jedis("127.0.0.1", cluster.respPort(0), 10_000)) {
            return "before the cut".equals(again.get("k"));
          }
        });
      }
    }
  }
}
