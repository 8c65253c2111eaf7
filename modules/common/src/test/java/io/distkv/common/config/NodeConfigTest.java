package io.distkv.common.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.typesafe.config.ConfigFactory;
import io.distkv.common.NodeId;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class NodeConfigTest {
  private static final String VALID = """
      distkv.node { id = node1, host = "127.0.0.1", port = 7101, data-dir = "/tmp/distkv/node1" }
      """;

  @Test
  void validConfigGetsReferenceDefaults() {
    NodeConfig c = NodeConfig.from(ConfigFactory.parseString(VALID));
    assertThat(c.nodeId()).isEqualTo(NodeId.of("node1"));
    assertThat(c.port()).isEqualTo(7101);
    assertThat(c.dataDir()).isEqualTo(Path.of("/tmp/distkv/node1"));
    assertThat(c.placement().partitions()).isEqualTo(64);
    assertThat(c.placement().replicationFactor()).isEqualTo(3);
    assertThat(c.placement().vnodesPerNode()).isEqualTo(150);
    assertThat(c.placement().hashTags()).isFalse();
    assertThat(NodeConfig.from(ConfigFactory.parseString(VALID + "\ndistkv.hash-tags = on")).placement().hashTags()).isTrue();
    assertThat(c.electionTimeout()).isEqualTo(Duration.ofMillis(1000));
    assertThat(c.heartbeatInterval()).isEqualTo(Duration.ofMillis(100));
    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.maxRetries()).isEqualTo(20);
    assertThat(c.retryBackoff()).isEqualTo(Duration.ofMillis(20));
    assertThat(c.limits().maxKeyBytes()).isEqualTo(4096);
    assertThat(c.limits().maxValueBytes()).isEqualTo(1024 * 1024);
    assertThat(c.members()).containsExactly(new NodeConfig.Member(NodeId.of("node1"), "127.0.0.1", 7101));
    assertThat(c.leaseReads()).isTrue();
    assertThat(NodeConfig.from(ConfigFactory.parseString(VALID + "\ndistkv.raft.read-mode = read-index")).leaseReads()).isFalse();
  }

  @Test
  void unknownKeysUnderDistkvAreRejectedWithTheNearestValidKey() {
    ConfigValidationException e = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.node.prot = 7
        distkv.raft.read_mode = lease
        distkv.partitons = 8
        distkv.totally-new-thing = 1
        pekko.loglevel = DEBUG
        """)), ConfigValidationException.class);
    assertThat(e.problems()).containsExactlyInAnyOrder(
        "distkv.node.prot: unknown key (did you mean distkv.node.port?)",
        "distkv.raft.read_mode: unknown key (did you mean distkv.raft.read-mode?)",
        "distkv.partitons: unknown key (did you mean distkv.partitions?)",
        "distkv.totally-new-thing: unknown key (see modules/common/src/main/resources/reference.conf)");
    assertThat(NodeConfig.editDistance("read_mode", "read-mode")).isEqualTo(1);
  }

  @Test
  void snapshotThresholdsAndTransferRateAreReadAndChecked() {
    NodeConfig defaults = NodeConfig.from(ConfigFactory.parseString(VALID));
    assertThat(defaults.snapshotEntries()).isEqualTo(10_000);
    assertThat(defaults.snapshotBytes()).isEqualTo(64L << 20);
    assertThat(defaults.snapshotBytesPerSecond()).isEqualTo(100L << 20);
    NodeConfig set = NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.raft { snapshot-entries = 500, snapshot-bytes = 4MiB, snapshot-max-bytes-per-sec = 0 }
        """));
    assertThat(set.snapshotEntries()).isEqualTo(500);
    assertThat(set.snapshotBytes()).isEqualTo(4L << 20);
    assertThat(set.snapshotBytesPerSecond()).isZero();
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.raft.snapshot-entries = 0")))
        .hasMessageContaining("distkv.raft.snapshot-entries");
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.raft.snapshot-bytes = lots")))
        .hasMessageContaining("distkv.raft.snapshot-bytes").hasMessageContaining("expected a size");
  }

  @Test
  void theRespServerIsOffByDefaultAndItsKeysAreChecked() {
    NodeConfig defaults = NodeConfig.from(ConfigFactory.parseString(VALID));
    assertThat(defaults.resp()).isEqualTo(RespConfig.OFF);
    assertThat(defaults.resp().enabled()).isFalse();
    RespConfig set = NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.node.resp-port = 6401
        distkv.resp { password = "s3cret", max-in-flight = 16, idle-timeout = 30s }
        """)).resp();
    assertThat(set).isEqualTo(new RespConfig(6401, "s3cret", 16, java.time.Duration.ofSeconds(30)));
    String hash = io.distkv.common.auth.PasswordHash.of("pw".getBytes(java.nio.charset.StandardCharsets.UTF_8), 10_000)
        .toString();
    io.distkv.common.auth.Users users = NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.auth.users = [{ name = alice, password-hash = "%s", role = read-write }]
        """.formatted(hash))).users();
    assertThat(users.authenticate("alice", "pw".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
        .isPresent();
    ConfigValidationException badUser = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.auth.users = [{ name = alice, password-hash = "%s", role = root }]
        distkv.auth.user = []
        """.formatted(hash))), ConfigValidationException.class);
    assertThat(badUser.getMessage()).contains("distkv.auth.users[0].role = root")
        .contains("distkv.auth.user: unknown key (did you mean distkv.auth.users?)");
    ConfigValidationException e = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.node.resp-port = 70000
        distkv.resp { max-in-flight = 0, idle-timeout = soon }
        """)), ConfigValidationException.class);
    assertThat(e.problems()).hasSize(3);
    assertThat(e.getMessage()).contains("distkv.node.resp-port").contains("distkv.resp.max-in-flight")
        .contains("distkv.resp.idle-timeout");
  }

  @Test
  void tlsIsOffByDefaultAndItsFilesAreCheckedNamingTheKeyAndFile(@org.junit.jupiter.api.io.TempDir Path tmp)
      throws Exception {
    assertThat(NodeConfig.from(ConfigFactory.parseString(VALID)).tls()).isEqualTo(TlsSettings.OFF);
    Path cert = java.nio.file.Files.writeString(tmp.resolve("node.crt"), "not a certificate");
    Path key = java.nio.file.Files.writeString(tmp.resolve("node.key"), "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n");
    Path missing = tmp.resolve("nope.crt");
    String[][] cases = {
        {"enabled = on", "distkv.tls.enabled", "cert-file, key-file and ca-file"},
        {"enabled = on, cert-file = \"" + cert + "\"", "distkv.tls", "PEM needs all of"},
        {"enabled = on, cert-file = \"" + missing + "\", key-file = \"" + key + "\", ca-file = \"" + cert + "\"",
            "distkv.tls.cert-file", "no readable file " + missing},
        {"enabled = on, cert-file = \"" + cert + "\", key-file = \"" + key + "\", ca-file = \"" + cert
            + "\", key-store = \"" + cert + "\"", "distkv.tls", "not both"},
        {"enabled = on, key-store = \"" + cert + "\"", "distkv.tls", "both key-store and trust-store"},
        {"enabled = maybe", "distkv.tls.enabled", ""},
    };
    for (String[] c : cases) {
      ConfigValidationException e = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID
          + "distkv.tls { " + c[0] + " }\n")), ConfigValidationException.class);
      assertThat(e).as(c[0]).isNotNull();
      assertThat(e.getMessage()).as(c[0]).contains(c[1]).contains(c[2]);
    }
    // Files that exist but cannot be used: refused when the SSL context is built, naming the file.
    TlsSettings unusable = NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.tls { enabled = on, cert-file = \""
        + cert + "\", key-file = \"" + key + "\", ca-file = \"" + cert + "\" }\n")).tls();
    assertThatThrownBy(unusable::sslContext).isInstanceOf(ConfigValidationException.class)
        .hasMessageContaining("distkv.tls.cert-file = " + cert).hasMessageContaining("not a PEM certificate");
  }

  @Test
  void memoryBudgetsAreSizesOrSharesOfTheHeap() {
    long heap = Runtime.getRuntime().maxMemory();
    NodeConfig defaults = NodeConfig.from(ConfigFactory.parseString(VALID));
    assertThat(defaults.raftLogMemoryBudget()).isEqualTo(heap / 100 * 10);
    assertThat(defaults.storage().blockCacheBytes()).isEqualTo(heap / 100 * 15);
    assertThat(defaults.storage().writeBufferBudgetBytes()).isEqualTo(heap / 100 * 12);
    NodeConfig set = NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.raft.log-memory-budget = 32MiB
        distkv.storage { block-cache-size = "25%", write-buffer-budget = 5 % }
        """));
    assertThat(set.raftLogMemoryBudget()).isEqualTo(32L << 20);
    assertThat(set.storage().blockCacheBytes()).isEqualTo(heap / 100 * 25);
    assertThat(set.storage().writeBufferBudgetBytes()).isEqualTo(heap / 100 * 5);
    ConfigValidationException e = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.raft.log-memory-budget = 95%
        distkv.storage { block-cache-size = "ten%", write-buffer-budget = 0% }
        """)), ConfigValidationException.class);
    assertThat(e.problems()).hasSize(3);
    assertThat(e.getMessage()).contains("distkv.raft.log-memory-budget = 95%: a share of the heap must be 1%..90%")
        .contains("distkv.storage.block-cache-size").contains("whole percentage of the heap")
        .contains("distkv.storage.write-buffer-budget");
  }

  @Test
  void storageResourcesAreReadAndChecked() {
    assertThat(NodeConfig.from(ConfigFactory.parseString(VALID)).storage()).isEqualTo(StorageSettings.DEFAULTS);
    StorageSettings s = NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.storage { block-cache-size = 8MiB, write-buffer-size = 1MiB, write-buffer-budget = 32MiB,
          compaction-threads = 3, compression = lz4, bloom-bits-per-key = 0 }
        """)).storage();
    assertThat(s).isEqualTo(new StorageSettings(8L << 20, 1L << 20, 32L << 20, 3, true, 0));
    ConfigValidationException e = catchThrowableOfType(() -> NodeConfig.from(ConfigFactory.parseString(VALID + """
        distkv.storage { compaction-threads = 0, compression = zstd, write-buffer-size = 1KiB, bloom-bits-per-key = 99 }
        """)), ConfigValidationException.class);
    assertThat(e.problems()).hasSize(4);
    assertThat(e.getMessage()).contains("distkv.storage.compaction-threads").contains("distkv.storage.compression")
        .contains("\"none\" or \"lz4\"").contains("distkv.storage.write-buffer-size")
        .contains("distkv.storage.bloom-bits-per-key");
  }

  @Test
  void theHeartbeatIntervalIsTheRaftTickAndSetsElectionAndLeaseTicks() {
    NodeConfig defaults = NodeConfig.from(ConfigFactory.parseString(VALID));
    assertThat(defaults.electionTicks()).isEqualTo(10);
    assertThat(defaults.leaseTicks()).isEqualTo(8);
    NodeConfig fast = NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.raft.heartbeat-interval = 25ms"));
    assertThat(fast.electionTicks()).isEqualTo(40);
    assertThat(fast.leaseTicks()).isEqualTo(32); // a fifth of the election timeout as drift margin
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.raft.heartbeat-interval = 300ms")))
        .hasMessageContaining("distkv.raft.heartbeat-interval").hasMessageContaining("at most 1/5");
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.raft.heartbeat-interval = 5ms")))
        .hasMessageContaining("distkv.raft.heartbeat-interval").hasMessageContaining("at least 1/100");
  }

  @Test
  void faultInjectionIsOffAndAConfigFileAloneCannotTurnItOn() {
    assertThat(NodeConfig.from(ConfigFactory.parseString(VALID)).faultInjection()).isFalse();
    String on = VALID + "distkv.test.fault-injection = on\ndistkv.node.jmx-port = 9300\n";
    String previous = System.getProperty(NodeConfig.ALLOW_FAULT_INJECTION);
    try {
      System.clearProperty(NodeConfig.ALLOW_FAULT_INJECTION);
      assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(on)))
          .hasMessageContaining("distkv.test.fault-injection").hasMessageContaining("-D" + NodeConfig.ALLOW_FAULT_INJECTION);
      System.setProperty(NodeConfig.ALLOW_FAULT_INJECTION, "true");
      assertThat(NodeConfig.from(ConfigFactory.parseString(on)).faultInjection()).isTrue();
      assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.test.fault-injection = on")))
          .hasMessageContaining("needs distkv.node.jmx-port");
      assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.test.fault-injection = maybe")))
          .hasMessageContaining("expected on or off");
    } finally {
      if (previous == null) {
        System.clearProperty(NodeConfig.ALLOW_FAULT_INJECTION);
      } else {
        System.setProperty(NodeConfig.ALLOW_FAULT_INJECTION, previous);
      }
    }
  }

  @Test
  void membersAreParsedAndMustIncludeThisNodeAtItsAddress() {
    NodeConfig c = NodeConfig.from(ConfigFactory.parseString(VALID
        + "distkv.cluster.members = [\"node1@127.0.0.1:7101\", \"node2@127.0.0.1:7102\"]"));
    assertThat(c.members()).extracting(m -> m.id().value()).containsExactly("node1", "node2");
    ConfigValidationException e = catchThrowableOfType(ConfigValidationException.class, () -> NodeConfig.from(
        ConfigFactory.parseString(VALID + "distkv.cluster.members = [\"node2@127.0.0.1:7102\", \"junk\", \"node2@h:1\"]")));
    assertThat(e.problems()).hasSize(1); // one line per key; the first problem is reported
    assertThat(e.problems().get(0)).contains("distkv.cluster.members").contains("id@host:port").contains("junk");
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.cluster.members = [\"node1@127.0.0.1:9999\"]")))
        .hasMessageContaining("but this node is configured as 127.0.0.1:7101");
    // A node outside the bootstrap list joins later (add-node); its seeds default to the list.
    NodeConfig joining = NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.cluster.members = [\"node2@127.0.0.1:7102\"]"));
    assertThat(joining.members()).extracting(m -> m.id().value()).containsExactly("node2");
    assertThat(joining.seedNodes()).containsExactly("127.0.0.1:7102");
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.cluster.seed-nodes = [\"nohost\"]")))
        .hasMessageContaining("distkv.cluster.seed-nodes").hasMessageContaining("host:port");
  }

  @Test
  void defaultConfigIsInvalidBecauseIdAndDataDirAreRequired() {
    ConfigValidationException e =
        catchThrowableOfType(ConfigValidationException.class, () -> NodeConfig.from(ConfigFactory.empty()));
    assertThat(e.problems()).containsExactlyInAnyOrder(
        "distkv.node.id: is required (a non-empty string)", "distkv.node.data-dir: is required (a non-empty string)");
  }

  @Test
  void everyBadKeyIsReportedAtOnceWithPathAndExpectation() {
    String bad = VALID + """
        distkv.replication-factor = 9
        distkv.partitions = 0
        distkv.virtual-nodes = "many"
        distkv.node.port = 70000
        distkv.raft.election-timeout = -5ms
        distkv.client.max-retries = 1000
        distkv.limits.max-key-size = 1MiB
        """;
    ConfigValidationException e =
        catchThrowableOfType(ConfigValidationException.class, () -> NodeConfig.from(ConfigFactory.parseString(bad)));
    assertThat(e.problems()).containsExactlyInAnyOrder(
        "distkv.replication-factor = 9: must be 1..7",
        "distkv.partitions = 0: must be 1..1024",
        "distkv.virtual-nodes = many: expected an integer 1..10000",
        "distkv.node.port = 70000: must be 1..65535",
        "distkv.raft.election-timeout = -5ms: must be a positive duration (e.g. 500ms, 2s)",
        "distkv.client.max-retries = 1000: must be 0..100",
        "distkv.limits.max-key-size = 1MiB: must be 1..65536 bytes");
    assertThat(e.getMessage()).contains("7 problems").contains("distkv.replication-factor = 9: must be 1..7");
  }

  @Test
  void badNodeIdAndHeartbeatNotBelowElectionTimeout() {
    String bad = """
        distkv.node { id = "bad id!", data-dir = "/tmp/x" }
        distkv.raft { election-timeout = 100ms, heartbeat-interval = 150ms, read-mode = quorum }
        """;
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(bad)))
        .isInstanceOf(ConfigValidationException.class)
        .hasMessageContaining("distkv.node.id = bad id!: expected 1..64 chars")
        .hasMessageContaining("distkv.raft.heartbeat-interval = 150ms: must be at most 1/5 of distkv.raft.election-timeout (100ms)")
        .hasMessageContaining("distkv.raft.read-mode = quorum: expected \"lease\" or \"read-index\"");
  }

  @Test
  void malformedHoconIsAClearError() {
    assertThatThrownBy(() -> NodeConfig.from(ConfigFactory.parseString(VALID + "distkv.partitions = ${missing.value}")))
        .isInstanceOf(ConfigValidationException.class)
        .hasMessageContaining("cannot be resolved")
        .hasMessageContaining("missing.value");
  }

  @Test
  void shippedNodeConfigsAreValid() throws Exception {
    Path conf = Path.of("../../conf");
    try (var files = java.nio.file.Files.list(conf)) {
      var nodeConfs = files.filter(f -> f.getFileName().toString().matches("node\\d+\\.conf")).sorted().toList();
      assertThat(nodeConfs).hasSizeGreaterThanOrEqualTo(3);
      java.util.Set<Integer> ports = new java.util.HashSet<>();
      for (Path f : nodeConfs) {
        NodeConfig c = NodeConfig.from(ConfigFactory.parseFile(f.toFile()));
        assertThat(f.getFileName().toString()).isEqualTo(c.nodeId().value() + ".conf");
        assertThat(ports.add(c.port())).as("port of %s is unique", f).isTrue();
      }
    }
  }
}
