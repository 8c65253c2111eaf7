package io.distkv.client;

import io.distkv.common.config.TlsSettings;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.Done;
import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.io.TcpMessage;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import scala.Option;

/**
 * Artery's TLS engines from {@code distkv.tls} (PEM files or PKCS12 stores): mutual TLS, TLS 1.3
 * and 1.2 only, trusting the cluster's CA alone. Both ends present a certificate, and each accepts
 * only a node certificate the CA signed ({@link #nodeOnly}): Artery is the nodes' network (and
 * that of Java clients trusted with a node certificate); user certificates speak RESP. Host names
 * are not checked against certificates (nodes are addressed by IP and may move); the CA is the
 * trust boundary. Pekko creates it by name
 * ({@code pekko.remote.artery.ssl.ssl-engine-provider}, set by {@link TlsSettings#arteryConfig}).
 */
public final class ArteryTls implements SSLEngineProvider {
  private final SSLContext context;

  /** How long after the last coordinated-shutdown phase begins the connections still open are aborted. */
  static final java.time.Duration ABORT_OPEN_CONNECTIONS_AFTER = java.time.Duration.ofSeconds(3);

  public ArteryTls(ActorSystem system) {
    this.context = TlsSettings.from(system.settings().config()).sslContext();
    abortConnectionsLeftOpenAtShutdown(system);
  }

  /**
   * Lets a TLS ActorSystem finish terminating. Pekko 1.7 runs Artery's TLS streams with
   * IgnoreComplete, so once the transport's kill switch is pulled an outbound TLS connection can
   * stay open until its peer closes it, and Artery waits for its streams without a deadline
   * (akka/akka-core#29162; apache/pekko#3317 bounds the wait, after 1.7.0): the system never
   * terminates and keeps its port bound. Seen here as a node that never stops when stopped under
   * load. Once termination is under way, this aborts the TCP connections still open a few seconds
   * later, which fails those streams and lets the transport shut down.
   */
  private static void abortConnectionsLeftOpenAtShutdown(ActorSystem system) {
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
        "distkv-abort-tls-connections", () -> {
          java.util.concurrent.CompletableFuture.delayedExecutor(ABORT_OPEN_CONNECTIONS_AFTER.toMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS).execute(() -> {
                if (!system.whenTerminated().isCompleted()) {
                  system.actorSelection("/system/IO-TCP/selectors/*/*").tell(TcpMessage.abort(), ActorRef.noSender());
                }
              });
          return java.util.concurrent.CompletableFuture.completedFuture(Done.done());
        });
  }

  @Override
  public SSLEngine createServerSSLEngine(String hostname, int port) {
    return TlsSettings.engine(context, hostname, port, false);
  }

  @Override
  public SSLEngine createClientSSLEngine(String hostname, int port) {
    return TlsSettings.engine(context, hostname, port, true);
  }

  @Override
  public Option<Throwable> verifyClientSession(String hostname, SSLSession session) {
    return nodeOnly(session);
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return nodeOnly(session);
  }

  /**
   * Only a node certificate may be at the other end ({@link TlsSettings#isNodeCertificate}): a
   * holder of a user certificate of the same CA is refused after the handshake, before anything
   * it sends reaches an actor, so Raft, membership and cluster messages come from nodes only.
   */
  static Option<Throwable> nodeOnly(SSLSession session) {
    try {
      java.security.cert.Certificate[] chain = session.getPeerCertificates();
      if (chain.length > 0 && TlsSettings.isNodeCertificate(chain[0])) {
        return Option.empty();
      }
      String who = chain.length > 0 && chain[0] instanceof java.security.cert.X509Certificate x
          ? x.getSubjectX500Principal().getName() : "no certificate";
      return Option.apply(new javax.net.ssl.SSLPeerUnverifiedException("refused an Artery peer with '" + who
          + "': not a node certificate (OU=" + TlsSettings.NODE_UNIT + ")"));
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return Option.apply(e);
    }
  }
}
