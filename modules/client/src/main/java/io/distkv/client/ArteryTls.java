package io.distkv.client;

import io.distkv.common.config.TlsSettings;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSession;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.remote.artery.tcp.SSLEngineProvider;
import scala.Option;

/**
 * Artery's TLS engines from {@code distkv.tls} (PEM files or PKCS12 stores): mutual TLS, TLS 1.3
 * and 1.2 only, trusting the cluster's CA alone. Both ends present a certificate: a node accepts
 * a connection (from another node or a Java client) only from a holder of one the CA signed, and
 * a client connects only to such a node. Host names are not checked against certificates (nodes
 * are addressed by IP and may move); the CA is the trust boundary. Pekko creates it by name
 * ({@code pekko.remote.artery.ssl.ssl-engine-provider}, set by {@link TlsSettings#arteryConfig}).
 */
public final class ArteryTls implements SSLEngineProvider {
  private final SSLContext context;

  public ArteryTls(ActorSystem system) {
    this.context = TlsSettings.from(system.settings().config()).sslContext();
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
    return Option.empty();
  }

  @Override
  public Option<Throwable> verifyServerSession(String hostname, SSLSession session) {
    return Option.empty();
  }
}
