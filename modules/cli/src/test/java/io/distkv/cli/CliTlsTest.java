package io.distkv.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.testkit.DistKvTestCluster;
import io.distkv.testkit.TestCerts;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line against a TLS cluster: distkv.tls in its config file, PEM or PKCS12; without it, refused. */
@Tag("phase5")
class CliTlsTest {
  @TempDir Path tmp;

  @Test
  void theCliSpeaksTlsWhenItsConfigSaysSoAndIsRefusedOtherwise() throws Exception {
    TestCerts certs = TestCerts.generate(tmp.resolve("certs"), "node", "client");
    try (DistKvTestCluster cluster = DistKvTestCluster.builder().nodes(1).partitions(2).resp("")
        .tls(certs.pem("node")).start()) {
      String endpoint = cluster.respEndpoints().get(0);
      Path pem = tmp.resolve("pem.conf");
      Files.writeString(pem, """
          distkv.cli.endpoints = ["%s"]
          distkv.tls { enabled = on, cert-file = "%s", key-file = "%s", ca-file = "%s" }
          """.formatted(endpoint, certs.dir().resolve("client.crt"), certs.dir().resolve("client.key"),
          certs.dir().resolve("ca.crt")));
      Path p12 = tmp.resolve("p12.conf");
      Files.writeString(p12, """
          distkv.cli.endpoints = ["%s"]
          distkv.tls { enabled = on, key-store = "%s", key-store-password = changeit, trust-store = "%s", trust-store-password = changeit }
          """.formatted(endpoint, certs.dir().resolve("client.p12"), certs.dir().resolve("ca.p12")));
      String[] put = run("--config", pem.toString(), "put", "k", "over TLS");
      assertThat(put[0]).as(put[2]).isEqualTo("0");
      String[] get = run("--config", p12.toString(), "get", "k");
      assertThat(get[0]).as(get[2]).isEqualTo("0");
      assertThat(get[1]).isEqualTo("over TLS\n");
      Path plain = tmp.resolve("plain.conf");
      Files.writeString(plain, "distkv.cli { endpoints = [\"" + endpoint + "\"], timeout = 3s }\n");
      String[] refused = run("--config", plain.toString(), "get", "k");
      assertThat(refused[0]).isNotEqualTo("0");
      Path bad = tmp.resolve("bad.conf");
      Files.writeString(bad, "distkv.tls { enabled = on, cert-file = \"" + tmp.resolve("nope.crt") + "\" }\n");
      String[] invalid = run("--config", bad.toString(), "get", "k");
      assertThat(invalid[0]).isEqualTo(String.valueOf(DistKvCli.USAGE));
      assertThat(invalid[2]).contains("distkv.tls.cert-file").contains("nope.crt");
    }
  }

  private static String[] run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = DistKvCli.run(args, new PrintWriter(out), new PrintWriter(err));
    return new String[] {String.valueOf(code), out.toString(), err.toString()};
  }
}
