package io.distkv.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.client.DistKvClient;
import io.distkv.common.config.Remoting;
import io.distkv.common.config.TlsSettings;
import io.distkv.common.error.DistKvException;
import io.distkv.raft.RaftReplica;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;

/**
 * Mutual TLS (docs/security.md): nodes talk Artery over TLS, the Java client and RESP clients
 * connect over TLS with a certificate of the cluster's CA, and anyone else is refused at the
 * handshake: no certificate, a certificate of another CA, or plain TCP; Artery also refuses a
 * user certificate of the CA (only node certificates talk there). The phase-4 fault
 * scenarios on a TLS cluster are {@link #faultsOnATlsCluster()}.
 */
@Tag("phase4")
@Tag("phase5")
class TlsTest {
  @TempDir static Path certs;
  static TestCerts ours;
  static TestCerts theirs;
  static DistKvTestCluster cluster;

  @BeforeAll
  static void start() {
    ours = TestCerts.generate(certs.resolve("ours"), "node", "client", "--users", "app");
    theirs = TestCerts.generate(certs.resolve("theirs"), "node", "client");
    cluster = DistKvTestCluster.builder().nodes(3).partitions(4).resp("").tls(ours.pem("node")).start();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void theJavaClientWorksOverMutualTlsWithPemOrPkcs12() {
    for (TlsSettings tls : new TlsSettings[] {ours.pem("client"), ours.pkcs12("client")}) {
      try (DistKvClient client = DistKvClient.connect(cluster.clientSettings().tls(tls).build())) {
        long version = client.blocking().put("tls-key", "over TLS");
        assertThat(client.blocking().get("tls-key")).contains("over TLS");
        assertThat(version).isPositive();
      }
    }
  }

  @Test
  void respWorksOverTlsWithAClientCertificate() {
    SSLContext context = ours.pkcs12("client").sslContext();
    try (Jedis r = new Jedis(new HostAndPort("127.0.0.1", cluster.node(2).respPort()),
        DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(context.getSocketFactory()).build())) {
      assertThat(r.set("resp-tls", "1")).isEqualTo("OK");
      assertThat(r.incr("resp-tls")).isEqualTo(2);
      assertThat(r.get("resp-tls")).isEqualTo("2");
    }
  }

  @Test
  void respRefusesPlainTcpNoCertificateAndAnotherCasCertificate() throws Exception {
    int port = cluster.node(1).respPort();
    // Plain RESP to a TLS port: the server reads it as a broken TLS record and closes.
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(5000);
      s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(readAll(s.getInputStream())).doesNotContain("PONG");
    }
    // TLS that trusts our CA but presents no certificate.
    assertRefused(trustingOurCaWithoutACertificate(), port);
    // A certificate of another CA (which also does not trust ours).
    assertRefused(theirs.pem("client").sslContext(), port);
  }

  /**
   * A TLS node's /metrics, /health and /ready are HTTPS with the node's certificate, served to a
   * client whose certificate our CA signed; plain HTTP, no certificate and another CA's certificate
   * get nothing.
   */
  @Test
  void theHttpEndpointsServeHttpsToClientsWithOurCertificateOnly() throws Exception {
    try (io.distkv.server.metrics.NodeHttp http = io.distkv.server.metrics.NodeHttp.start("127.0.0.1", 0, "node1",
        new io.distkv.server.metrics.NodeMetrics("node1"), ours.pem("node").sslContext())) {
      java.net.URI health = java.net.URI.create("https://127.0.0.1:" + http.port() + "/health");
      java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder().sslContext(ours.pem("client").sslContext())
          .connectTimeout(Duration.ofSeconds(5)).build();
      java.net.http.HttpResponse<String> ok = client.send(java.net.http.HttpRequest.newBuilder(health).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(ok.statusCode()).isEqualTo(200);
      assertThat(ok.body()).contains("\"status\":\"UP\"");
      java.net.http.HttpResponse<String> metrics = client.send(java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("https://127.0.0.1:" + http.port() + "/metrics")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.statusCode()).isEqualTo(200);
      assertThat(metrics.body()).contains("# TYPE");
      // Plain HTTP to the HTTPS port: no HTTP answer.
      try (Socket s = new Socket("127.0.0.1", http.port())) {
        s.setSoTimeout(5000);
        s.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        assertThat(readAll(s.getInputStream())).doesNotContain("UP");
      }
      for (SSLContext refused : new SSLContext[] {trustingOurCaWithoutACertificate(), theirs.pem("client").sslContext()}) {
        java.net.http.HttpClient other = java.net.http.HttpClient.newBuilder().sslContext(refused)
            .connectTimeout(Duration.ofSeconds(5)).build();
        assertThatThrownBy(() -> other.send(java.net.http.HttpRequest.newBuilder(health).timeout(Duration.ofSeconds(10))
            .build(), java.net.http.HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
      }
    }
  }

  /**
   * A TLS node's remote JMX: the registry and the connector speak mutual TLS. A JMX client whose
   * JVM holds our CA's certificate (its default SSL context) logs in and reads; a plain JMX client
   * and a TLS client without a certificate get nothing.
   */
  @Test
  void remoteJmxRunsOverMutualTls() throws Exception {
    io.distkv.common.auth.Users users = new io.distkv.common.auth.Users(java.util.Map.of("ops",
        new io.distkv.common.auth.Users.User("ops", io.distkv.common.auth.PasswordHash.of(
            "ops-pw".getBytes(StandardCharsets.UTF_8), 10_000), io.distkv.common.auth.Role.ADMIN)));
    int port = io.distkv.common.io.FreePorts.next();
    io.distkv.server.jmx.DistKvMBeans.RemoteConnector jmx = io.distkv.server.jmx.DistKvMBeans.serveRemote("127.0.0.1",
        port, users, ours.pem("node").sslContext());
    SSLContext before = SSLContext.getDefault();
    java.util.Map<String, Object> login = java.util.Map.of(javax.management.remote.JMXConnector.CREDENTIALS,
        new String[] {"ops", "ops-pw"});
    try {
      assertThatThrownBy(() -> javax.management.remote.JMXConnectorFactory.connect(jmx.url(), login).close())
          .as("a plain JMX client").isInstanceOf(IOException.class);
      assertRefused(trustingOurCaWithoutACertificate(), port);
      SSLContext.setDefault(ours.pem("client").sslContext()); // as -Djavax.net.ssl.keyStore/trustStore would
      java.util.Map<String, Object> env = new java.util.HashMap<>(login);
      env.put("com.sun.jndi.rmi.factory.socket", new javax.rmi.ssl.SslRMIClientSocketFactory());
      try (javax.management.remote.JMXConnector j = javax.management.remote.JMXConnectorFactory.connect(jmx.url(), env)) {
        assertThat(j.getMBeanServerConnection().getAttribute(
            new javax.management.ObjectName("java.lang:type=Runtime"), "Uptime")).isNotNull();
      }
    } finally {
      SSLContext.setDefault(before);
      jmx.close();
    }
  }

  /** TLS that trusts our CA and presents no certificate. */
  private static SSLContext trustingOurCaWithoutACertificate() throws Exception {
    SSLContext anonymous = SSLContext.getInstance("TLS");
    javax.net.ssl.TrustManagerFactory tmf =
        javax.net.ssl.TrustManagerFactory.getInstance(javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
    java.security.KeyStore trust = java.security.KeyStore.getInstance("PKCS12");
    try (InputStream in = java.nio.file.Files.newInputStream(ours.dir().resolve("ca.p12"))) {
      trust.load(in, "changeit".toCharArray());
    }
    tmf.init(trust);
    anonymous.init(null, tmf.getTrustManagers(), null);
    return anonymous;
  }

  /** The handshake fails, or the server closes before any reply: nothing is served. */
  private static void assertRefused(SSLContext context, int port) {
    assertThatThrownBy(() -> {
      try (SSLSocket s = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
        s.setSoTimeout(5000);
        s.startHandshake();
        OutputStream out = s.getOutputStream();
        out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        if (s.getInputStream().read() < 0) {
          throw new IOException("closed without a reply");
        }
      }
    }).isInstanceOf(IOException.class);
  }

  private static String readAll(InputStream in) {
    StringBuilder sb = new StringBuilder();
    try {
      int c;
      while ((c = in.read()) >= 0) {
        sb.append((char) c);
      }
    } catch (IOException e) {
      // reset or timeout: what came before it is the answer
    }
    return sb.toString();
  }

  @Test
  void javaClientsWithoutTlsOrWithAnotherCaCannotConnect() {
    for (TlsSettings tls : new TlsSettings[] {TlsSettings.OFF, theirs.pem("client")}) {
      assertThatThrownBy(() -> DistKvClient.connect(cluster.clientSettings().tls(tls)
          .requestTimeout(Duration.ofSeconds(2)).attemptTimeout(Duration.ofSeconds(1)).build()).close())
          .as("a client with TLS %s", tls.enabled() ? "of another CA" : "off").isInstanceOf(DistKvException.class);
    }
  }

  /**
   * Node-to-node messages: an ActorSystem with our CA's certificate gets a replica's Raft status;
   * one with another CA's certificate, sending the same message to the same path, gets nothing.
   */
  @Test
  void aProcessWithAnotherCasCertificateCannotTalkToReplicas() {
    String path = "pekko://distkv@127.0.0.1:" + cluster.node(1).hostPort().split(":")[1] + "/system/raft-p0";
    assertThat(askStatus(ours.pem("node"), path)).as("with our CA").isTrue();
    assertThat(askStatus(theirs.pem("node"), path)).as("with another CA").isFalse();
  }

  /**
   * Artery is the nodes' network: a Java client with a user certificate of our CA is refused
   * before it starts (its certificate could not talk Artery), and a process that uses one anyway
   * (the node's TLS settings with the user's certificate and key swapped in) gets no answer from a
   * replica: the node refuses the peer once the handshake shows no node certificate. Over RESP the
   * same certificate is served.
   */
  @Test
  void aUserCertificateOfOurCaCannotTalkArtery() {
    assertThatThrownBy(() -> DistKvClient.connect(cluster.clientSettings().tls(ours.pem("app")).build()).close())
        .isInstanceOf(io.distkv.common.config.ConfigValidationException.class)
        .hasMessageContaining("CN=app").hasMessageContaining("not a node certificate")
        .hasMessageContaining("distkv.client.transport = resp");
    String path = "pekko://distkv@127.0.0.1:" + cluster.node(1).hostPort().split(":")[1] + "/system/raft-p0";
    com.typesafe.config.Config userOnArtery = ours.pem("node").arteryConfig()
        .withValue("distkv.tls.cert-file", com.typesafe.config.ConfigValueFactory.fromAnyRef(
            ours.dir().resolve("app.crt").toAbsolutePath().toString()))
        .withValue("distkv.tls.key-file", com.typesafe.config.ConfigValueFactory.fromAnyRef(
            ours.dir().resolve("app.key").toAbsolutePath().toString()));
    assertThat(askStatus(userOnArtery, path)).as("with a user certificate of our CA").isFalse();
    SSLContext app = ours.pem("app").sslContext();
    try (Jedis r = new Jedis(new HostAndPort("127.0.0.1", cluster.node(1).respPort()),
        DefaultJedisClientConfig.builder().ssl(true).sslSocketFactory(app.getSocketFactory()).build())) {
      assertThat(r.ping()).isEqualTo("PONG");
    }
  }

  private static boolean askStatus(TlsSettings tls, String path) {
    return askStatus(tls.arteryConfig(), path);
  }

  private static boolean askStatus(com.typesafe.config.Config arteryTls, String path) {
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "rogue",
        Remoting.artery("127.0.0.1", 0, arteryTls).withFallback(com.typesafe.config.ConfigFactory.load()));
    try {
      TestProbe<RaftReplica.Status> probe = TestProbe.create(system);
      ActorRef<RaftReplica.Command> replica = ActorRefResolver.get(system).resolveActorRef(path);
      replica.tell(new RaftReplica.GetStatus(probe.getRef()));
      try {
        probe.receiveMessage(Duration.ofSeconds(4));
        return true;
      } catch (AssertionError noAnswer) {
        return false;
      }
    } finally {
      system.terminate();
    }
  }

  /** The phase-4 client fault scenarios of {@link ClientFaultTest}, each on a cluster of its own running TLS. */
  @Test
  void faultsOnATlsCluster() throws Exception {
    ClientFaultTest faults = new ClientFaultTest();
    faults.clusters = () -> DistKvTestCluster.builder().tls(ours.pem("node"));
    faults.writesInFlightWhenTheBusiestLeaderStopsAreAllAppliedExactlyOnce();
    faults.aCutOffLeaderNeverServesAStaleLeaseRead();
    faults.withoutAQuorumWritesFailTypedWithinTheDeadlineAndEventualReadsStillAnswer();
  }
}
