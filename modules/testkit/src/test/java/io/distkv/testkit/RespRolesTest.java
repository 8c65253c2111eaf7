package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.auth.PasswordHash;
import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.RedisProtocol;
import redis.clients.jedis.commands.ProtocolCommand;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * Users and roles over RESP (distkv.auth.users): a connection logs in with AUTH user password;
 * read-only reads, read-write also writes, admin also changes the cluster. A refused command
 * answers NOPERM PERMISSION_DENIED and changes nothing (backups need admin too).
 */
@Tag("phase5")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RespRolesTest {
  DistKvTestCluster cluster;

  @BeforeAll
  void start() {
    Users users = new Users(Map.of(
        "reader", user("reader", "reader-pw", Role.READ_ONLY),
        "alice", user("alice", "alice-pw", Role.READ_WRITE),
        "ops", user("ops", "ops-pw", Role.ADMIN)));
    cluster = DistKvTestCluster.builder().nodes(3).partitions(4).resp("default-pw", users).start();
  }

  @AfterAll
  void stop() {
    cluster.close();
  }

  static Users.User user(String name, String password, Role role) {
    return new Users.User(name, PasswordHash.of(password.getBytes(StandardCharsets.UTF_8), 10_000), role);
  }

  Jedis as(String user, String password) {
    Jedis j = new Jedis("127.0.0.1", cluster.node(1).respPort());
    j.auth(user, password);
    return j;
  }

  static ProtocolCommand command(String name) {
    return () -> name.getBytes(StandardCharsets.UTF_8);
  }


  @Test
  void withoutAuthOrWithAWrongPasswordNothingRuns() {
    try (Jedis j = new Jedis("127.0.0.1", cluster.node(2).respPort())) {
      assertThatThrownBy(() -> j.get("k")).hasMessageStartingWith("NOAUTH");
      assertThatThrownBy(() -> j.auth("alice", "ops-pw")).hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.auth("nobody", "alice-pw")).hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.auth("wrong")).as("the default user").hasMessageStartingWith("WRONGPASS");
      assertThatThrownBy(() -> j.get("k")).hasMessageStartingWith("NOAUTH");
    }
  }

  @Test
  void aReadWriteUsersClusterChangesAreRefusedAndTheMembershipIsUnchanged() {
    java.util.SortedMap<Integer, List<String>> before = cluster.replicasByPartition();
    try (Jedis alice = as("alice", "alice-pw")) {
      assertThat(alice.set("rw-key", "v")).isEqualTo("OK");
      assertThat(alice.get("rw-key")).isEqualTo("v");
      assertThat(alice.incr("rw-counter")).isEqualTo(1);
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.REMOVENODE"), "node3"))
          .isInstanceOf(JedisDataException.class)
          .hasMessage("NOPERM PERMISSION_DENIED: user 'alice' has role read-write; 'dkv.removenode' needs admin");
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.ADDNODE"), "127.0.0.1:1")).hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.REBALANCE"))).hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.TRANSFERLEADER"), "0", "node2"))
          .hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.BACKUP.BEGIN")))
          .hasMessageContaining("PERMISSION_DENIED").hasMessageContaining("needs admin");
      assertThatThrownBy(() -> alice.sendCommand(command("DKV.BACKUP.PARTITION"), "b1", "0"))
          .hasMessageContaining("PERMISSION_DENIED");
      assertThat(alice.get("rw-key")).as("the connection still serves").isEqualTo("v");
    }
    assertThat(cluster.clusterInfo().nodes()).hasSize(3);
    assertThat(cluster.replicasByPartition()).isEqualTo(before);
  }

  @Test
  void aReadOnlyUserReadsAndNoWriteOfAnyKindGoesThrough() {
    try (Jedis alice = as("alice", "alice-pw"); Jedis reader = as("reader", "reader-pw")) {
      alice.set("ro-key", "original");
      assertThat(reader.get("ro-key")).isEqualTo("original");
      assertThat(reader.exists("ro-key")).isTrue();
      assertThat(reader.sendCommand(command("DKV.STATUS"))).isNotNull();
      assertThatThrownBy(() -> reader.set("ro-key", "changed")).hasMessageContaining("PERMISSION_DENIED")
          .hasMessageContaining("'set' needs read-write");
      assertThatThrownBy(() -> reader.del("ro-key")).hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> reader.incr("ro-key")).hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> reader.mset("ro-key", "x", "ro-2", "y")).hasMessageContaining("PERMISSION_DENIED");
      assertThatThrownBy(() -> reader.sendCommand(command("DKV.CAS"), "ro-key", "1", "x"))
          .hasMessageContaining("PERMISSION_DENIED");
      assertThat(alice.get("ro-key")).isEqualTo("original");
      assertThat(alice.exists("ro-2")).isFalse();
    }
  }

  @Test
  void adminsChangeTheClusterAndTheDefaultPasswordIsAdmin() throws Exception {
    int partition = 0;
    try (Jedis ops = as("ops", "ops-pw")) {
      String target = cluster.clusterInfo().partitions().get(partition).replicas().stream()
          .filter(r -> !r.equals(cluster.clusterInfo().partitions().get(partition).leader())).findFirst().orElseThrow();
      assertThat(ops.sendCommand(command("DKV.TRANSFERLEADER"), Integer.toString(partition), target))
          .isEqualTo("OK".getBytes(StandardCharsets.UTF_8));
    }
    try (Jedis admin = new Jedis("127.0.0.1", cluster.node(3).respPort())) {
      assertThat(admin.auth("default-pw")).isEqualTo("OK");
      assertThat(admin.set("admin-key", "v")).isEqualTo("OK");
    }
    // RESP3's HELLO logs in too, and a later AUTH changes the user
    try (Jedis j = new Jedis(new HostAndPort("127.0.0.1", cluster.node(2).respPort()),
        DefaultJedisClientConfig.builder().protocol(RedisProtocol.RESP3).user("reader").password("reader-pw").build())) {
      assertThat(j.get("admin-key")).isEqualTo("v");
      assertThatThrownBy(() -> j.set("admin-key", "w")).hasMessageContaining("PERMISSION_DENIED");
      j.auth("alice", "alice-pw");
      assertThat(j.set("admin-key", "w")).isEqualTo("OK");
    }
  }

  /**
   * This cluster has no hash tags, so its keys do not map to Redis Cluster's slots: CLUSTER answers
   * as Redis does with cluster support off (KEYSLOT, a function of the key, still answers).
   */
  @Test
  void withoutHashTagsClusterCommandsSayClusterSupportIsOff() {
    try (Jedis reader = as("reader", "reader-pw")) {
      assertThatThrownBy(() -> reader.sendCommand(command("CLUSTER"), "SLOTS")).hasMessageContaining("cluster support disabled");
      assertThatThrownBy(reader::clusterNodes).hasMessageContaining("cluster support disabled");
      assertThat(reader.sendCommand(command("CLUSTER"), "KEYSLOT", "foo")).isEqualTo(12182L);
      assertThat(reader.info("cluster")).contains("cluster_enabled:0");
      assertThatThrownBy(() -> reader.sendCommand(command("CLUSTER"), "FAILOVER")).hasMessageContaining("unknown subcommand");
    }
  }
}
