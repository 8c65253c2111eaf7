package io.distkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.auth.PasswordHash;
import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import io.distkv.testkit.DistKvTestCluster;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line logged in as a user (distkv.cli.user / password): a read-write user's
 * remove-node is refused with PERMISSION_DENIED (exit 4) and the membership stays; the hash the
 * CLI's hash-password prints is one a node accepts.
 */
@Tag("phase5")
class CliRolesTest {
  @TempDir Path tmp;

  @Test
  void aReadWriteUsersRemoveNodeIsRefusedAndTheMembershipIsUnchanged() throws Exception {
    String[] hashed = runWithStdin("alice-pw\n", "hash-password", "--iterations", "10000");
    assertThat(hashed[0]).as(hashed[2]).isEqualTo("0");
    PasswordHash alice = PasswordHash.parse(hashed[1].strip());
    assertThat(alice.matches("alice-pw".getBytes(StandardCharsets.UTF_8))).isTrue();
    Users users = new Users(Map.of("alice", new Users.User("alice", alice, Role.READ_WRITE),
        "ops", new Users.User("ops", PasswordHash.of("ops-pw".getBytes(StandardCharsets.UTF_8), 10_000), Role.ADMIN)));
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(3).partitions(4).resp("", users).start()) {
      String endpoint = cluster.respEndpoints().get(0);
      Path asAlice = config("alice.conf", endpoint, "alice", "alice-pw");
      Path asOps = config("ops.conf", endpoint, "ops", "ops-pw");
      java.util.SortedMap<Integer, List<String>> before = cluster.replicasByPartition();

      assertThat(run("--config", asAlice.toString(), "put", "k", "v")[0]).isEqualTo("0");
      String[] refused = run("--config", asAlice.toString(), "remove-node", "node3");
      assertThat(refused[0]).as(refused[2]).isEqualTo(String.valueOf(DistKvCli.PERMISSION_DENIED));
      assertThat(refused[2]).contains("PERMISSION_DENIED").contains("alice").contains("admin");
      String[] json = run("--config", asAlice.toString(), "-o", "json", "rebalance");
      assertThat(json[0]).isEqualTo("4");
      assertThat(json[2]).contains("\"exit\":4").contains("PERMISSION_DENIED");
      assertThat(cluster.clusterInfo().nodes()).hasSize(3);
      assertThat(cluster.replicasByPartition()).isEqualTo(before);

      String[] status = run("--config", asOps.toString(), "status");
      assertThat(status[0]).as(status[2]).isEqualTo("0");
      String[] wrong = run("--config", config("wrong.conf", endpoint, "alice", "ops-pw").toString(), "get", "k");
      assertThat(wrong[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
      assertThat(wrong[2]).contains("WRONGPASS");
      Path typo = tmp.resolve("typo.conf");
      Files.writeString(typo, "distkv.cli { endpoints = [\"" + endpoint + "\"], usr = alice }\n");
      String[] bad = run("--config", typo.toString(), "get", "k");
      assertThat(bad[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
      assertThat(bad[2]).contains("distkv.cli.usr").contains("user");
    }
  }

  @Test
  void hashPasswordRefusesAnEmptyPasswordAndTooFewIterations() throws Exception {
    assertThat(runWithStdin("\n", "hash-password")[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
    String[] few = runWithStdin("pw\n", "hash-password", "--iterations", "10");
    assertThat(few[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
    assertThat(few[2]).contains("--iterations");
  }

  private Path config(String name, String endpoint, String user, String password) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, "distkv.cli { endpoints = [\"%s\"], user = %s, password = %s, timeout = 10s }\n"
        .formatted(endpoint, user, password));
    return p;
  }


  private static String[] runWithStdin(String stdin, String... args) {
    InputStream saved = System.in;
    System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
    try {
      return run(args);
    } finally {
      System.setIn(saved);
    }
  }

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DistKvCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }
}
