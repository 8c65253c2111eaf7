package io.distkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.testkit.DistKvTestCluster;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The distkv command line against a running 3-node cluster: output and exit codes. */
@Tag("phase5")
class DistKvCliTest {
  static DistKvTestCluster cluster;

  record Run(int code, String out, String err) {}

  @BeforeAll
  static void start() {
    cluster = DistKvTestCluster.builder().nodes(3).partitions(8).resp("").start();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static Run cli(String... args) {
    List<String> all = new ArrayList<>();
    for (String c : cluster.respEndpoints()) {
      all.add("--contact");
      all.add(c);
    }
    all.addAll(List.of(args));
    return raw(all.toArray(String[]::new));
  }

  static Run raw(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DistKvCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void putGetDelWithExitCodes() {
    Run put = cli("put", "greeting", "hello world");
    assertThat(put.code()).isZero();
    assertThat(put.out()).startsWith("OK version ");
    Run get = cli("get", "greeting", "--show-version");
    assertThat(get.code()).isZero();
    assertThat(get.out()).isEqualTo("hello world\nversion " + put.out().trim().substring("OK version ".length()) + "\n");
    // An eventual read answers from the contacted node's own replica, which may not have applied
    // the write yet: it must see it once that replica catches up.
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
    Run eventual = cli("get", "greeting", "--eventual");
    while (eventual.code() != 0 && System.nanoTime() < deadline) {
      assertThat(eventual.err()).as("an eventual read of a key not applied here yet").contains("not found");
      eventual = cli("get", "greeting", "--eventual");
    }
    assertThat(eventual.code()).as(eventual.err()).isZero();
    assertThat(eventual.out()).isEqualTo("hello world\n");
    // Global options also work after the command.
    Run after = raw("get", "greeting", "--contact", cluster.respEndpoints().get(1), "--timeout", "3s");
    assertThat(after.code()).as(after.err()).isZero();
    assertThat(after.out()).isEqualTo("hello world\n");
    Run missing = cli("get", "no-such-key");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(missing.err()).contains("not found: no-such-key");
    assertThat(cli("del", "greeting").code()).isZero();
    assertThat(cli("get", "greeting").code()).isEqualTo(1);
    assertThat(cli("put", "--if-absent", "fresh", "1").code()).isZero();
    Run exists = cli("put", "--if-absent", "fresh", "2");
    assertThat(exists.code()).isEqualTo(1);
    assertThat(exists.err()).contains("exists");
  }

  @Test
  void aValueFromAFileCanBeLargerThanAnArgumentAndIsNotAlsoGivenAsAnArgument(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) throws Exception {
    String big = "0123456789abcdef".repeat(20_000); // 320,000 bytes: beyond what one argument can carry
    java.nio.file.Path file = tmp.resolve("value.txt");
    java.nio.file.Files.writeString(file, big);
    Run put = cli("put", "big-key", "--value-file", file.toString());
    assertThat(put.code()).as(put.err()).isZero();
    assertThat(cli("get", "big-key").out()).isEqualTo(big + "\n");
    String version = put.out().trim().substring("OK version ".length());
    java.nio.file.Files.writeString(file, "replaced");
    assertThat(cli("cas", "big-key", version, "--value-file", file.toString()).code()).isZero();
    assertThat(cli("get", "big-key").out()).isEqualTo("replaced\n");
    Run both = cli("put", "k", "v", "--value-file", file.toString());
    assertThat(both.code()).isEqualTo(2);
    assertThat(both.err()).contains("either as VALUE or with --value-file").contains("not both");
    Run neither = cli("put", "k");
    assertThat(neither.code()).isEqualTo(2);
    assertThat(neither.err()).contains("not neither");
    Run unreadable = cli("put", "k", "--value-file", tmp.resolve("missing").toString());
    assertThat(unreadable.code()).isEqualTo(2);
    assertThat(unreadable.err()).contains("cannot read --value-file");
  }

  @Test
  void casReportsConflictsWithTheCurrentVersion() {
    String version = cli("put", "cas-key", "a").out().trim().substring("OK version ".length());
    Run ok = cli("cas", "cas-key", version, "b");
    assertThat(ok.code()).isZero();
    String newVersion = ok.out().trim().substring("OK version ".length());
    Run conflict = cli("cas", "cas-key", version, "c");
    assertThat(conflict.code()).isEqualTo(1);
    assertThat(conflict.err()).contains("conflict: current version is " + newVersion);
    assertThat(cli("get", "cas-key").out()).isEqualTo("b\n");
  }

  @Test
  void scanPagesWithAContinuationToken() {
    for (int i = 0; i < 12; i++) {
      assertThat(cli("put", String.format("s/%02d", i), "v" + i).code()).isZero();
    }
    Run first = cli("scan", "--from", "s/", "--to", "s0", "--limit", "5");
    assertThat(first.code()).isZero();
    assertThat(first.out()).isEqualTo("s/00\tv0\ns/01\tv1\ns/02\tv2\ns/03\tv3\ns/04\tv4\n");
    assertThat(first.err()).contains("more: distkv scan --after ");
    String token = first.err().replaceAll("(?s).*--after (\\S+).*", "$1");
    Run second = cli("scan", "--after", token, "--to", "s0", "--limit", "100");
    assertThat(second.out().lines()).hasSize(7).first().isEqualTo("s/05\tv5");
    assertThat(second.err()).doesNotContain("more:");
    Run bad = cli("scan", "--after", "!!not-base64!!");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("continuation token");
  }

  @Test
  void statusLeaderAndTransferLeader() {
    Run status = cli("status", "--partitions");
    assertThat(status.code()).as(status.err()).isZero();
    assertThat(status.out()).contains("3 nodes, 8 partitions (8 active, 0 read-only, 0 offline)")
        .contains("node1").contains("UP").contains("PARTITION");
    Run leader = cli("leader", "some-key");
    assertThat(leader.code()).isZero();
    assertThat(leader.out()).matches("partition \\d+ leader node\\d\n");
    String partition = leader.out().split(" ")[1];
    String current = leader.out().trim().split(" ")[3];
    String target = current.equals("node1") ? "node2" : "node1";
    Run moved = cli("transfer-leader", partition, target);
    assertThat(moved.code()).as(moved.err()).isZero();
    assertThat(moved.out()).startsWith("partition " + partition + " leader " + target);
    assertThat(cli("leader", "some-key").out()).endsWith("leader " + target + "\n");
    Run unknown = cli("transfer-leader", partition, "nodeX");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("nodeX");
  }

  @Test
  void rebalanceOfABalancedClusterMovesNothingAndAddNodeNamesAnUnknownNode() {
    Run rebalance = cli("rebalance");
    assertThat(rebalance.code()).as(rebalance.err()).isZero();
    assertThat(rebalance.out()).contains("placement epoch 1").contains("0 partition(s) changed");
    Run unknown = cli("add-node", "node7");
    assertThat(unknown.code()).isEqualTo(2);
    assertThat(unknown.err()).contains("node7 is not known");
    Run notHolding = cli("remove-node", "node7");
    assertThat(notHolding.code()).isEqualTo(2);
    assertThat(notHolding.err()).contains("node7 holds no replicas");
  }

  @Test
  void usageErrorsHelpAndAnUnreachableCluster() {
    Run noArgs = raw();
    assertThat(noArgs.code()).isEqualTo(2);
    assertThat(noArgs.err()).contains("Usage: distkv");
    Run missing = cli("put", "only-key");
    assertThat(missing.code()).isEqualTo(2);
    assertThat(missing.err()).contains("VALUE");
    Run help = raw("get", "--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("--eventual");
    Run notANumber = cli("cas", "k", "x", "v");
    assertThat(notANumber.code()).isEqualTo(2);
    Run nowhere = raw("--contact", "127.0.0.1:1", "--timeout", "1s", "get", "k");
    assertThat(nowhere.code()).isEqualTo(3);
    assertThat(nowhere.err()).contains("127.0.0.1:1");
    assertThat(raw("--contact", "bogus", "get", "k").code()).isEqualTo(2);
  }

  static com.fasterxml.jackson.databind.JsonNode json(String text) throws Exception {
    return new com.fasterxml.jackson.databind.ObjectMapper().readTree(text);
  }

  @Test
  void jsonOutputIsOneObjectPerCommandAndErrorsAreJsonOnStandardError(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    Run put = cli("-o", "json", "put", "j/1", "one");
    assertThat(put.code()).as(put.err()).isZero();
    long version = json(put.out()).get("version").asLong();
    assertThat(json(put.out()).get("applied").asBoolean()).isTrue();
    Run get = cli("get", "j/1", "-o", "json");
    assertThat(json(get.out()).get("value").asText()).isEqualTo("one");
    assertThat(json(get.out()).get("version").asLong()).isEqualTo(version);
    Run missing = cli("-o", "json", "get", "j/none");
    assertThat(missing.code()).isEqualTo(1);
    assertThat(json(missing.out()).get("found").asBoolean()).isFalse();
    Run conflict = cli("-o", "json", "cas", "j/1", Long.toString(version + 1000), "x");
    assertThat(conflict.code()).isEqualTo(1);
    assertThat(json(conflict.out()).get("applied").asBoolean()).isFalse();
    assertThat(json(conflict.out()).get("version").asLong()).isEqualTo(version);
    // A value that is not UTF-8 comes back byte for byte, as base64.
    byte[] binary = {(byte) 0xff, 0, (byte) 0xfe, 10};
    java.nio.file.Path file = tmp.resolve("binary");
    java.nio.file.Files.write(file, binary);
    assertThat(cli("put", "j/2", "--value-file", file.toString()).code()).isZero();
    Run bin = cli("-o", "json", "get", "j/2");
    assertThat(java.util.Base64.getDecoder().decode(json(bin.out()).get("value").get("base64").asText())).isEqualTo(binary);
    Run scan = cli("-o", "json", "scan", "--from", "j/", "--to", "j0", "--limit", "1");
    assertThat(json(scan.out()).get("entries")).hasSize(1);
    assertThat(json(scan.out()).get("entries").get(0).get("key").asText()).isEqualTo("j/1");
    assertThat(json(scan.out()).get("next").asText()).isNotEmpty();
    Run status = cli("-o", "json", "status");
    assertThat(json(status.out()).get("partitions").asInt()).isEqualTo(8);
    assertThat(json(status.out()).get("nodes")).hasSize(3);
    assertThat(json(status.out()).get("partition_table")).hasSize(8);
    long keys = 0;
    for (com.fasterxml.jackson.databind.JsonNode p : json(status.out()).get("partition_table")) {
      keys += p.get("keys").asLong();
    }
    assertThat(keys).as("live keys summed over the partition table").isEqualTo(json(cli("-o", "json", "scan").out())
        .get("entries").size());
    Run leader = cli("-o", "json", "leader", "j/1");
    assertThat(json(leader.out()).get("leader").asText()).matches("node[123]");
    assertThat(json(cli("-o", "json", "del", "j/1").out()).get("version").asLong()).isGreaterThan(version);
    assertThat(json(cli("-o", "json", "wait-ready").out()).get("ready").asBoolean()).isTrue();
    Run rebalance = cli("-o", "json", "rebalance");
    assertThat(json(rebalance.out()).get("summary").asText()).contains("placement epoch");
    Run error = cli("-o", "json", "add-node", "node9");
    assertThat(error.code()).isEqualTo(2);
    assertThat(error.out()).isEmpty();
    assertThat(json(error.err()).get("error").asText()).contains("node9 is not known");
    assertThat(json(error.err()).get("exit").asInt()).isEqualTo(2);
    Run badFormat = cli("-o", "yaml", "status");
    assertThat(badFormat.code()).isEqualTo(2);
    assertThat(badFormat.err()).contains("text or json");
  }

  @Test
  void theClientConfigNamesTheEndpointsAndAMisspeltKeyIsRefused(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws Exception {
    java.nio.file.Path conf = tmp.resolve("client.conf");
    java.nio.file.Files.writeString(conf, "distkv.cli { endpoints = [\"127.0.0.1:1\", \"" + cluster.respEndpoints().get(2)
        + "\"], timeout = 3s }\n");
    Run viaSecond = raw("--config", conf.toString(), "put", "conf-key", "v");
    assertThat(viaSecond.code()).as(viaSecond.err()).isZero();
    java.nio.file.Files.writeString(conf, "distkv.cli { endpoint = [\"127.0.0.1:6401\"] }\n");
    Run misspelt = raw("--config", conf.toString(), "get", "conf-key");
    assertThat(misspelt.code()).isEqualTo(2);
    assertThat(misspelt.err()).contains("distkv.cli.endpoint: unknown key");
  }
}
