package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisCluster;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.Response;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;
import redis.clients.jedis.util.JedisClusterCRC16;

/**
 * A real Redis client library (Jedis) against three in-JVM nodes serving RESP: every node answers
 * every key (requests route to the partition's leader), in RESP2 and RESP3, pipelined, with
 * Redis's errors, and compare-and-set updates that lose nothing between connections.
 */
@Tag("phase5")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RespApiTest {
  DistKvTestCluster cluster;

  @BeforeAll
  void start() {
    cluster = DistKvTestCluster.builder().nodes(3).partitions(8).hashTags(true).resp("").start();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  Jedis jedis(int node) {
    return new Jedis("127.0.0.1", cluster.node(node).respPort());
  }

  Jedis jedis3(int node) {
    return new Jedis(new HostAndPort("127.0.0.1", cluster.node(node).respPort()),
        DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).build());
  }

  static ProtocolCommand command(String name) {
    return () -> name.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void stringsThroughAnyNode() {
    try (Jedis a = jedis(1); Jedis b = jedis(2); Jedis c = jedis(3)) {
      assertThat(a.ping()).isEqualTo("PONG");
      assertThat(a.echo("hi")).isEqualTo("hi");
      for (int i = 0; i < 30; i++) {
        assertThat(a.set("s-" + i, "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < 30; i++) { // written via node1, read linearizably via the others
        assertThat((i % 2 == 0 ? b : c).get("s-" + i)).isEqualTo("v" + i);
      }
      assertThat(b.get("s-missing")).isNull();
      assertThat(b.strlen("s-1")).isEqualTo(2);
      assertThat(b.strlen("s-missing")).isZero();
      assertThat(c.exists("s-1", "s-2", "s-missing")).isEqualTo(2);
      assertThat(c.mget("s-1", "s-missing", "s-3")).containsExactly("v1", null, "v3");
      assertThat(a.del("s-1", "s-2", "s-missing")).isEqualTo(2);
      assertThat(b.get("s-1")).isNull();
    }
  }

  @Test
  void conditionalSets() {
    try (Jedis r = jedis(2)) {
      assertThat(r.set("c-1", "a", SetParams.setParams().nx())).isEqualTo("OK");
      assertThat(r.set("c-1", "b", SetParams.setParams().nx())).isNull();
      assertThat(r.set("c-2", "b", SetParams.setParams().xx())).isNull();
      assertThat(r.get("c-2")).isNull();
      assertThat(r.set("c-1", "c", SetParams.setParams().xx())).isEqualTo("OK");
      assertThat(r.setGet("c-1", "d")).isEqualTo("c");
      assertThat(r.setGet("c-new", "x")).isNull();
      assertThat(r.get("c-1")).isEqualTo("d");
      assertThat(r.setnx("c-1", "e")).isZero();
      assertThat(r.setnx("c-3", "e")).isEqualTo(1);
      assertThatThrownBy(() -> r.set("c-4", "v", SetParams.setParams().ex(10)))
          .isInstanceOf(JedisDataException.class).hasMessageContaining("do not expire");
    }
  }

  @Test
  void countersAndTheirErrors() {
    try (Jedis r = jedis(3)) {
      assertThat(r.incr("n-1")).isEqualTo(1);
      assertThat(r.incrBy("n-1", 41)).isEqualTo(42);
      assertThat(r.decr("n-1")).isEqualTo(41);
      assertThat(r.decrBy("n-1", 50)).isEqualTo(-9);
      assertThat(r.get("n-1")).isEqualTo("-9");
      r.set("n-text", "abc");
      assertThatThrownBy(() -> r.incr("n-text")).isInstanceOf(JedisDataException.class)
          .hasMessage("ERR value is not an integer or out of range");
      r.set("n-max", Long.toString(Long.MAX_VALUE));
      assertThatThrownBy(() -> r.incr("n-max")).hasMessageContaining("overflow");
    }
  }

  @Test
  void incrementsFromManyConnectionsAreNeverLost() throws Exception {
    int threads = 4;
    int each = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int node = 1 + t % 3;
        done.add(pool.submit(() -> {
          try (Jedis r = jedis(node)) {
            for (int i = 0; i < each; i++) {
              r.incr("race");
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    try (Jedis r = jedis(1)) {
      assertThat(r.get("race")).isEqualTo(Integer.toString(threads * each));
    }
  }

  @Test
  void msetIsAtomicInOnePartitionAndRefusedAcrossPartitions() {
    // Two keys of one partition, as the cluster's partitioner places them.
    io.distkv.client.DistKvClient client = cluster.newClient();
    String first = "one-0";
    String second = null;
    for (int i = 1; second == null; i++) {
      if (client.partitionOf(("one-" + i).getBytes(StandardCharsets.UTF_8))
          == client.partitionOf(first.getBytes(StandardCharsets.UTF_8))) {
        second = "one-" + i;
      }
    }
    try (Jedis r = jedis(1)) {
      assertThat(r.mset(first, "ann", second, "ann@example.org", first, "bob")).isEqualTo("OK");
      assertThat(r.mget(first, second)).containsExactly("bob", "ann@example.org"); // a key set twice: the last wins
      // Without hash tags, 20 keys over 8 partitions: refused, nothing written.
      List<String> kv = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        kv.add("m-" + i);
        kv.add("v");
      }
      assertThatThrownBy(() -> r.mset(kv.toArray(String[]::new))).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("CROSSSLOT");
      assertThat(r.exists(kv.stream().filter(k -> k.startsWith("m-")).toArray(String[]::new))).isZero();
      // With hash tags (this cluster has them), 20 keys that share {user42} are one partition: one atomic write.
      List<String> tagged = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        tagged.add("{user42}.field" + i);
        tagged.add("v" + i);
      }
      assertThat(r.mset(tagged.toArray(String[]::new))).isEqualTo("OK");
      assertThat(r.get("{user42}.field19")).isEqualTo("v19");
      long partition = (Long) r.sendCommand(command("DKV.PARTITION"), "{user42}.field0");
      assertThat((Long) r.sendCommand(command("DKV.PARTITION"), "user42")).isEqualTo(partition);
      assertThat(client.partitionOf("x{user42}y".getBytes(StandardCharsets.UTF_8))).isEqualTo((int) partition);
    }
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() {
    try (Jedis r = jedis(2)) {
      Pipeline p = r.pipelined();
      List<Response<String>> sets = new ArrayList<>();
      List<Response<String>> gets = new ArrayList<>();
      for (int i = 0; i < 500; i++) {
        sets.add(p.set("p-" + i, "v" + i));
        gets.add(p.get("p-" + i));
      }
      p.sync();
      for (int i = 0; i < 500; i++) {
        assertThat(sets.get(i).get()).isEqualTo("OK");
        assertThat(gets.get(i).get()).as("get p-%d after its set in the same pipeline", i).isEqualTo("v" + i);
      }
    }
  }

  @Test
  void scanWalksEveryKeyWithItsCursor() {
    try (Jedis r = jedis(3)) {
      for (int i = 0; i < 40; i++) {
        r.set("scan:" + i, "x");
      }
      Set<String> seen = new HashSet<>();
      String cursor = ScanParams.SCAN_POINTER_START;
      int pages = 0;
      do {
        ScanResult<String> page = r.scan(cursor, new ScanParams().match("scan:*").count(7));
        seen.addAll(page.getResult());
        cursor = page.getCursor();
        pages++;
      } while (!cursor.equals("0") && pages < 1000);
      Set<String> want = new HashSet<>();
      for (int i = 0; i < 40; i++) {
        want.add("scan:" + i);
      }
      assertThat(seen).containsAll(want).allMatch(k -> k.startsWith("scan:"));
      assertThat(pages).isGreaterThan(1);
    }
  }

  @Test
  void distKvCommandsGiveVersionsAndCompareAndSet() {
    try (Jedis r = jedis(1)) {
      r.set("v-1", "one");
      @SuppressWarnings("unchecked")
      List<Object> gv = (List<Object>) r.sendCommand(command("DKV.GETV"), "v-1");
      long version = (Long) gv.get(1);
      assertThat(new String((byte[]) gv.get(0), StandardCharsets.UTF_8)).isEqualTo("one");
      @SuppressWarnings("unchecked")
      List<Object> stale = (List<Object>) r.sendCommand(command("DKV.CAS"), "v-1", Long.toString(version - 1), "x");
      assertThat(stale).containsExactly(0L, version);
      @SuppressWarnings("unchecked")
      List<Object> applied = (List<Object>) r.sendCommand(command("DKV.CAS"), "v-1", Long.toString(version), "two");
      assertThat(applied.get(0)).isEqualTo(1L);
      assertThat((Long) applied.get(1)).isGreaterThan(version);
      assertThat(r.get("v-1")).isEqualTo("two");
      Object leader = r.sendCommand(command("DKV.LEADER"), "v-1");
      assertThat(new String((byte[]) leader, StandardCharsets.UTF_8)).matches("node[123]");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void distKvRangeStatusAndAdminCommands() {
    try (Jedis r = jedis(1)) {
      long v1 = (Long) r.sendCommand(command("DKV.SET"), "range/a", "1");
      long v2 = (Long) r.sendCommand(command("DKV.SET"), "range/b", "2");
      r.sendCommand(command("DKV.SET"), "range/c", "3");
      assertThat(v2).isPositive();
      List<Object> page = (List<Object>) r.sendCommand(command("DKV.SCAN"), "FROM", "range/", "TO", "range0", "COUNT", "2");
      String token = new String((byte[]) page.get(0), StandardCharsets.UTF_8);
      List<Object> entries = (List<Object>) page.get(1);
      assertThat(entries).hasSize(2);
      List<Object> first = (List<Object>) entries.get(0);
      assertThat(new String((byte[]) first.get(0), StandardCharsets.UTF_8)).isEqualTo("range/a");
      assertThat(new String((byte[]) first.get(1), StandardCharsets.UTF_8)).isEqualTo("1");
      assertThat(first.get(2)).isEqualTo(v1);
      List<Object> rest = (List<Object>) r.sendCommand(command("DKV.SCAN"), "AFTER", token, "TO", "range0");
      assertThat((byte[]) rest.get(0)).isEmpty(); // no more pages
      assertThat((List<Object>) rest.get(1)).hasSize(1);
      assertThatThrownBy(() -> r.sendCommand(command("DKV.SCAN"), "AFTER", "!!")).hasMessageContaining("continuation token");
      assertThatThrownBy(() -> r.sendCommand(command("DKV.SCAN"), "SIDEWAYS", "x")).hasMessageContaining("unknown option");
      long deleted = (Long) r.sendCommand(command("DKV.DEL"), "range/a");
      assertThat(deleted).isGreaterThan(v1);
      assertThat(r.get("range/a")).isNull();
      long partition = (Long) r.sendCommand(command("DKV.PARTITION"), "range/b");
      assertThat(partition).isBetween(0L, 7L);

      List<Object> status = (List<Object>) r.sendCommand(command("DKV.STATUS")); // RESP2: a flat key, value list
      java.util.Map<String, Object> byKey = new java.util.HashMap<>();
      for (int i = 0; i < status.size(); i += 2) {
        byKey.put(new String((byte[]) status.get(i), StandardCharsets.UTF_8), status.get(i + 1));
      }
      assertThat(byKey.get("partitions")).isEqualTo(8L);
      List<Object> table = (List<Object>) byKey.get("partition_table");
      assertThat(table).hasSize(8);
      List<Object> row = (List<Object>) table.get((int) partition);
      assertThat(new String((byte[]) row.get(0), StandardCharsets.UTF_8)).isEqualTo("partition");
      assertThat(row.get(1)).isEqualTo(partition);

      String leader = new String((byte[]) r.sendCommand(command("DKV.LEADER"), "range/b"), StandardCharsets.UTF_8);
      String target = leader.equals("node1") ? "node2" : "node1";
      assertThat(new String((byte[]) r.sendCommand(command("DKV.TRANSFERLEADER"), Long.toString(partition), target),
          StandardCharsets.UTF_8)).isEqualTo("OK");
      cluster.await("partition " + partition + " led by " + target, java.time.Duration.ofSeconds(10),
          () -> target.equals(cluster.clusterInfo().partitions().get((int) partition).leader()));
      assertThatThrownBy(() -> r.sendCommand(command("DKV.TRANSFERLEADER"), "99", "node1")).hasMessageContaining("no partition 99");
      String summary = new String((byte[]) r.sendCommand(command("DKV.REBALANCE")), StandardCharsets.UTF_8);
      assertThat(summary).contains("0 partition(s) changed");
      assertThatThrownBy(() -> r.sendCommand(command("DKV.ADDNODE"), "node8")).hasMessageContaining("node8 is not known");
      assertThatThrownBy(() -> r.sendCommand(command("DKV.REMOVENODE"), "node8")).hasMessageContaining("node8 holds no replicas");
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void commandDocsDescribeEveryCommandWithItsArguments() {
    try (Jedis r = jedis(1)) {
      List<Object> docs = (List<Object>) r.sendCommand(command("COMMAND"), "DOCS");
      long count = (Long) r.sendCommand(command("COMMAND"), "COUNT");
      assertThat(docs).hasSize((int) (2 * count)); // name, entry, name, entry...
      List<Object> set = (List<Object>) r.sendCommand(command("COMMAND"), "DOCS", "set");
      assertThat(new String((byte[]) set.get(0), StandardCharsets.UTF_8)).isEqualTo("set");
      String entry = flatten(set.get(1));
      assertThat(entry).contains("summary").contains("Sets the key's value").contains("group string")
          .contains("name key type key").contains("type oneof").contains("token NX").contains("token GET flags optional");
      for (int i = 1; i < docs.size(); i += 2) {
        assertThat(flatten(docs.get(i))).as("docs of %s", new String((byte[]) docs.get(i - 1), StandardCharsets.UTF_8))
            .doesNotContain("See docs/resp.md");
      }
    }
  }

  /** A nested RESP2 reply as one line of words. */
  static String flatten(Object reply) {
    if (reply instanceof byte[] b) {
      return new String(b, StandardCharsets.UTF_8);
    }
    if (reply instanceof List<?> l) {
      return String.join(" ", l.stream().map(RespApiTest::flatten).toList());
    }
    return String.valueOf(reply);
  }

  @Test
  void resp3AfterHello() throws Exception {
    try (Jedis r = jedis3(2)) { // Jedis says HELLO 3 when it connects
      assertThat(r.set("r3", "v")).isEqualTo("OK");
      assertThat(r.get("r3")).isEqualTo("v");
      assertThat(r.get("r3-missing")).isNull();
      assertThat(r.clientId()).isPositive();
    }
    try (Socket s = new Socket("127.0.0.1", cluster.node(2).respPort())) {
      OutputStream out = s.getOutputStream();
      out.write("GET r3-missing\r\nHELLO 3\r\nGET r3-missing\r\nHELLO 2\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String replies = readLines(s.getInputStream(), 1 + 26 + 1 + 26); // HELLO: 7 keys and values, 26 lines
      assertThat(replies).startsWith("$-1\r\n%7\r\n$6\r\nserver\r\n$7\r\ndist-kv\r\n") // RESP2 null, then a RESP3 map
          .contains("$5\r\nproto\r\n:3\r\n").contains("\r\n_\r\n*14\r\n"); // RESP3 null; HELLO 2: a flat array
    }
  }

  @Test
  void connectionCommands() {
    try (Jedis r = jedis(1)) {
      assertThat(r.clientSetname("tester")).isEqualTo("OK");
      assertThat(r.clientGetname()).isEqualTo("tester");
      assertThat(r.select(0)).isEqualTo("OK");
      assertThatThrownBy(() -> r.select(1)).hasMessageContaining("out of range");
      assertThat(r.info("cluster")).contains("cluster_partitions:8").contains("cluster_nodes:3");
      assertThat(r.readonly()).isEqualTo("OK");
      r.set("ro", "1"); // writes still go to the leader
      assertThat(r.readwrite()).isEqualTo("OK");
      long keys = r.dbSize();
      assertThat(keys).isPositive();
      // INFO keyspace: the leaders' live-key counts, which after acknowledged writes equal DBSIZE's scan.
      assertThat(r.info("keyspace")).isEqualTo("# Keyspace\r\ndb0:keys=" + keys + ",expires=0,avg_ttl=0\r\n\r\n");
      r.set("counted-" + keys, "1");
      r.del("ro");
      assertThat(r.info("keyspace")).contains("db0:keys=" + keys + ",");
    }
  }

  @Test
  void badInputGetsRedisErrorsAndTheConnectionStaysUsable() {
    try (Jedis r = jedis(2)) {
      assertThatThrownBy(() -> r.sendCommand(command("NOSUCHCMD"), "a")).isInstanceOf(JedisDataException.class)
          .hasMessageStartingWith("ERR unknown command 'NOSUCHCMD'");
      assertThatThrownBy(() -> r.sendCommand(command("GET"))).hasMessage("ERR wrong number of arguments for 'get' command");
      assertThatThrownBy(() -> r.sendCommand(command("INCRBY"), "k", "x1")).hasMessage(
          "ERR value is not an integer or out of range");
      assertThatThrownBy(() -> r.sendCommand(command("SET"), "", "v")).hasMessageContaining("key");
      assertThat(r.ping()).isEqualTo("PONG");
    }
  }

  @Test
  void oversizedBulkIsRefusedAndBrokenFramingClosesTheConnection() throws Exception {
    int port = cluster.node(3).respPort();
    try (Socket s = new Socket("127.0.0.1", port)) {
      OutputStream out = s.getOutputStream();
      InputStream in = s.getInputStream();
      // A 2 MiB value (over the 1 MiB limit): answered with an error, its bytes skipped; then PING works.
      byte[] big = new byte[2 << 20];
      out.write(("*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$" + big.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(big);
      out.write("\r\n*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String replies = readLines(in, 2);
      assertThat(replies).startsWith("-ERR Protocol error: a bulk string of 2097152 bytes is over the limit")
          .endsWith("+PONG\r\n");
      // Broken framing: an error, then the server closes.
      out.write("*1\r\n#4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertThat(readLines(in, 1)).startsWith("-ERR Protocol error: expected '$'");
      s.setSoTimeout(10_000);
      assertThat(in.read()).as("closed after broken framing").isEqualTo(-1);
    }
    try (Jedis r = jedis(3)) {
      assertThat(r.ping()).isEqualTo("PONG"); // the node serves other connections throughout
    }
  }

  @Test
  void randomAndTruncatedStreamsNeverStopTheNodeServingOthers() throws Exception {
    long seed = 20261130L; // replay a failure with it
    java.util.Random random = new java.util.Random(seed);
    int port = cluster.node(1).respPort();
    List<byte[]> valid = List.of("*3\r\n$3\r\nSET\r\n$4\r\nfuzz\r\n$1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII),
        "*2\r\n$3\r\nGET\r\n$4\r\nfuzz\r\n".getBytes(StandardCharsets.US_ASCII),
        "PING\r\n".getBytes(StandardCharsets.US_ASCII));
    try (Jedis witness = jedis(1)) {
      for (int round = 0; round < 40; round++) {
        try (Socket s = new Socket("127.0.0.1", port)) {
          s.setSoTimeout(2_000);
          OutputStream out = s.getOutputStream();
          for (int chunk = 0; chunk < 8; chunk++) {
            byte[] bytes;
            if (random.nextBoolean()) {
              byte[] v = valid.get(random.nextInt(valid.size()));
              bytes = java.util.Arrays.copyOf(v, 1 + random.nextInt(v.length)); // truncated anywhere
            } else {
              bytes = new byte[random.nextInt(512)];
              random.nextBytes(bytes);
            }
            try {
              out.write(bytes);
              out.flush();
            } catch (java.io.IOException closedByServer) {
              break; // broken framing closes the connection: fine
            }
          }
        } // closed mid-request, mid-reply or after an error
        // Meanwhile the node serves a well-behaved connection normally.
        assertThat(witness.set("witness-" + round, "v" + round)).as("seed %d round %d", seed, round).isEqualTo("OK");
        assertThat(witness.get("witness-" + round)).isEqualTo("v" + round);
      }
    }
  }

  /**
   * Redis Cluster's view (hash tags on): CLUSTER SLOTS covers the 16384 slots with one range per
   * partition, in partition order, its leader first; each key's slot is Redis's (Jedis's own CRC16)
   * and falls in its partition's range, whose first node is the key's leader; CLUSTER NODES, INFO
   * and MYID agree; and Jedis's cluster client, given one node, finds the others and serves keys.
   */
  @Test
  void redisClusterClientsSeeEachPartitionAsASlotRangeLedByItsLeader() throws Exception {
    Map<Long, String> nodeOfPort = new TreeMap<>();
    for (int n = 1; n <= 3; n++) {
      nodeOfPort.put((long) cluster.node(n).respPort(), cluster.node(n).id());
    }
    try (Jedis a = jedis(1)) {
      // Leaders settle after the start (the balancer moves them to their preferred nodes): compare
      // CLUSTER SLOTS with DKV.LEADER until they agree, within a deadline.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      AssertionError last = null;
      do {
        try {
          checkSlotsAgainstLeaders(a, nodeOfPort);
          last = null;
        } catch (AssertionError e) {
          last = e;
        }
      } while (last != null && System.nanoTime() < deadline);
      if (last != null) {
        throw last;
      }
      assertThat(a.info("cluster")).contains("cluster_enabled:1");
      String info = a.clusterInfo();
      assertThat(info).contains("cluster_state:ok").contains("cluster_slots_assigned:16384").contains("cluster_known_nodes:3");
      String myId = a.clusterMyId();
      assertThat(myId).hasSize(40).isEqualTo(java.util.HexFormat.of().formatHex(
          java.security.MessageDigest.getInstance("SHA-1").digest(cluster.node(1).id().getBytes(StandardCharsets.UTF_8))));
      Set<Integer> covered = new HashSet<>();
      int myself = 0;
      for (String line : a.clusterNodes().split("\n")) {
        String[] f = line.split(" ");
        assertThat(f[0]).hasSize(40);
        assertThat(nodeOfPort).containsKey(Long.parseLong(f[1].substring(f[1].indexOf(':') + 1, f[1].indexOf('@'))));
        assertThat(f[2]).endsWith("master");
        if (f[2].startsWith("myself")) {
          myself++;
          assertThat(f[0]).isEqualTo(myId);
        }
        for (int i = 8; i < f.length; i++) {
          String[] r = f[i].split("-");
          for (int slot = Integer.parseInt(r[0]); slot <= Integer.parseInt(r[r.length - 1]); slot++) {
            assertThat(covered.add(slot)).as("slot %d listed twice", slot).isTrue();
          }
        }
      }
      assertThat(myself).isEqualTo(1);
      assertThat(covered).hasSize(16384);
    }
    try (JedisCluster jc = new JedisCluster(new HostAndPort("127.0.0.1", cluster.node(2).respPort()));
        Jedis c = jedis(3)) {
      assertThat(jc.getClusterNodes()).hasSize(3);
      for (int i = 0; i < 100; i++) {
        assertThat(jc.set("jc-" + i, "v" + i)).isEqualTo("OK");
      }
      for (int i = 0; i < 100; i++) {
        assertThat(c.get("jc-" + i)).isEqualTo("v" + i);
        assertThat(jc.get("jc-" + i)).isEqualTo("v" + i);
      }
      assertThat(jc.mset("{jc}a", "1", "{jc}b", "2")).isEqualTo("OK"); // one slot: one partition, atomic
      assertThat(jc.mget("{jc}a", "{jc}b")).containsExactly("1", "2");
      assertThat(jc.incr("jc-counter")).isEqualTo(1);
    }
  }

  /** One pass of the comparison: throws AssertionError while CLUSTER SLOTS and the leaders disagree. */
  private static void checkSlotsAgainstLeaders(Jedis a, Map<Long, String> nodeOfPort) {
    List<List<Object>> ranges = new ArrayList<>();
    for (Object o : (List<?>) a.sendCommand(command("CLUSTER"), "SLOTS")) {
      ranges.add(new ArrayList<>((List<?>) o));
    }
    ranges.sort(java.util.Comparator.comparingLong(r -> (Long) r.get(0)));
    assertThat(ranges).as("one range per partition").hasSize(8);
    long next = 0;
    for (List<Object> r : ranges) {
      assertThat((Long) r.get(0)).isEqualTo(next);
      next = (Long) r.get(1) + 1;
      assertThat(r).as("a master and two replicas").hasSize(5);
    }
    assertThat(next).isEqualTo(16384);
    for (int i = 0; i < 200; i++) {
      String key = "slot-" + i;
      int slot = JedisClusterCRC16.getSlot(key);
      assertThat((Long) a.sendCommand(command("CLUSTER"), "KEYSLOT", key)).isEqualTo(slot);
      int partition = ((Long) a.sendCommand(command("DKV.PARTITION"), key)).intValue();
      List<Object> range = ranges.get(partition);
      assertThat(slot).as("key %s's slot in partition %d's range", key, partition)
          .isBetween(((Long) range.get(0)).intValue(), ((Long) range.get(1)).intValue());
      long masterPort = (Long) ((List<?>) range.get(2)).get(1);
      String leader = new String((byte[]) a.sendCommand(command("DKV.LEADER"), key), StandardCharsets.UTF_8);
      assertThat(nodeOfPort.get(masterPort)).as("the master of key %s's slot", key).isEqualTo(leader);
    }
  }

  static String readLines(InputStream in, int lines) throws Exception {
    StringBuilder sb = new StringBuilder();
    int seen = 0;
    while (seen < lines) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      sb.append((char) b);
      if (b == '\n') {
        seen++;
      }
    }
    return sb.toString();
  }
}
