package io.distkv.common.config;

import com.typesafe.config.Config;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * {@code distkv.tls}: the certificate this process presents and the CA it trusts, for Artery
 * (node to node, client to node: mutual TLS), RESP and the command line. Either PEM files
 * ({@code cert-file}: the certificate chain, {@code key-file}: its PKCS#8 private key,
 * {@code ca-file}: the cluster's CA certificates) or PKCS12 stores ({@code key-store} with the
 * key and chain, {@code trust-store} with the CA). Only the configured CA is trusted, never the
 * JVM's default authorities: a peer is whoever holds a certificate the cluster's CA signed.
 */
public record TlsSettings(boolean enabled, Path certFile, Path keyFile, Path caFile, Path keyStore,
    String keyStorePassword, Path trustStore, String trustStorePassword) {

  public static final TlsSettings OFF = new TlsSettings(false, null, null, null, null, "", null, "");

  /** TLS 1.3 and 1.2, nothing older. */
  static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

  /** Reads {@code distkv.tls} of {@code config} (resolved, defaults included), adding problems to {@code r}. */
  public static TlsSettings read(Config config, ConfigReader r) {
    if (!config.hasPath("distkv.tls.enabled") || !r.bool("distkv.tls.enabled")) {
      return OFF;
    }
    Path cert = file(r, "distkv.tls.cert-file");
    Path key = file(r, "distkv.tls.key-file");
    Path ca = file(r, "distkv.tls.ca-file");
    Path keyStore = file(r, "distkv.tls.key-store");
    Path trustStore = file(r, "distkv.tls.trust-store");
    boolean pem = cert != null || key != null || ca != null;
    boolean stores = keyStore != null || trustStore != null;
    if (pem && stores) {
      r.problem("distkv.tls", "set PEM files (cert-file, key-file, ca-file) or PKCS12 stores (key-store, trust-store), not both");
    } else if (pem && (cert == null || key == null || ca == null)) {
      r.problem("distkv.tls", "PEM needs all of cert-file, key-file and ca-file");
    } else if (stores && (keyStore == null || trustStore == null)) {
      r.problem("distkv.tls", "PKCS12 needs both key-store and trust-store");
    } else if (!pem && !stores) {
      r.problem("distkv.tls.enabled", "TLS needs cert-file, key-file and ca-file (PEM) or key-store and trust-store "
          + "(PKCS12); scripts/gen-certs.sh makes a development set");
    }
    String ksPassword = r.string("distkv.tls.key-store-password", false);
    String tsPassword = r.string("distkv.tls.trust-store-password", false);
    return new TlsSettings(true, cert, key, ca, keyStore, ksPassword == null ? "" : ksPassword, trustStore,
        tsPassword == null ? "" : tsPassword);
  }

  /** {@code distkv.tls} of {@code config} layered over the reference defaults; throws naming every problem. */
  public static TlsSettings from(Config config) {
    Config c = config.withFallback(com.typesafe.config.ConfigFactory.defaultReference()).resolve();
    ConfigReader r = new ConfigReader(c);
    TlsSettings tls = read(c, r);
    r.throwIfInvalid();
    return tls;
  }

  private static Path file(ConfigReader r, String path) {
    String name = r.string(path, false);
    if (name == null || name.isEmpty()) {
      return null;
    }
    Path p = Path.of(name);
    if (!Files.isReadable(p)) {
      r.problem(path, "no readable file " + p.toAbsolutePath());
      return null;
    }
    return p;
  }

  /** {@link #sslContext()} when distkv.tls is on, else null (plain TCP). Reads the key and certificate files each call. */
  public SSLContext sslContextIfEnabled() {
    return enabled ? sslContext() : null;
  }

  /**
   * The SSL context: this process's key and certificate chain, and trust in the configured CA
   * only. Throws {@link ConfigValidationException} naming the file that cannot be used.
   */
  public SSLContext sslContext() {
    if (!enabled) {
      throw new IllegalStateException("distkv.tls is off");
    }
    KeyStore keys;
    KeyStore trust;
    char[] keyPassword;
    if (keyStore != null) {
      keys = loadPkcs12(keyStore, keyStorePassword, "distkv.tls.key-store");
      trust = loadPkcs12(trustStore, trustStorePassword, "distkv.tls.trust-store");
      keyPassword = keyStorePassword.toCharArray();
    } else {
      keyPassword = new char[0];
      keys = emptyStore();
      List<Certificate> chain = certificates(certFile, "distkv.tls.cert-file");
      try {
        keys.setKeyEntry("distkv", privateKey(keyFile, chain.get(0).getPublicKey().getAlgorithm()), keyPassword,
            chain.toArray(Certificate[]::new));
      } catch (GeneralSecurityException e) {
        throw invalid("distkv.tls.key-file", keyFile, "does not match cert-file " + certFile + ": " + e.getMessage());
      }
      trust = emptyStore();
      int i = 0;
      for (Certificate c : certificates(caFile, "distkv.tls.ca-file")) {
        try {
          trust.setCertificateEntry("ca-" + i++, c);
        } catch (GeneralSecurityException e) {
          throw invalid("distkv.tls.ca-file", caFile, e.getMessage());
        }
      }
    }
    try {
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, keyPassword);
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new ConfigValidationException(List.of("distkv.tls: cannot build an SSL context: " + e.getMessage()));
    }
  }

  /**
   * What marks a node certificate: this organizational unit in its subject ({@code OU=dist-kv-node},
   * as scripts/gen-certs.sh writes for every name before {@code --users}). Artery, the nodes'
   * network, takes only such certificates at either end of a connection; a client with a user
   * certificate speaks RESP (docs/security.md "Nodes and clients").
   */
  public static final String NODE_UNIT = "dist-kv-node";

  /** This process's own certificate (the chain's first), from cert-file or the key store. */
  public X509Certificate certificate() {
    if (keyStore != null) {
      KeyStore keys = loadPkcs12(keyStore, keyStorePassword, "distkv.tls.key-store");
      try {
        for (String alias : java.util.Collections.list(keys.aliases())) {
          if (keys.isKeyEntry(alias) && keys.getCertificate(alias) instanceof X509Certificate x) {
            return x;
          }
        }
      } catch (GeneralSecurityException e) {
        throw invalid("distkv.tls.key-store", keyStore, e.getMessage());
      }
      throw invalid("distkv.tls.key-store", keyStore, "holds no key with a certificate");
    }
    if (certificates(certFile, "distkv.tls.cert-file").get(0) instanceof X509Certificate x) {
      return x;
    }
    throw invalid("distkv.tls.cert-file", certFile, "is not an X.509 certificate");
  }

  /** Whether {@code c} is a node certificate (its subject has {@code OU=}{@value #NODE_UNIT}). */
  public static boolean isNodeCertificate(Certificate c) {
    return subject(c, "OU").contains(NODE_UNIT);
  }

  /** The values of attribute {@code type} (CN, OU, ...) in an X.509 certificate's subject, in order. */
  public static List<String> subject(Certificate c, String type) {
    List<String> values = new ArrayList<>();
    if (c instanceof X509Certificate x) {
      try {
        for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(x.getSubjectX500Principal().getName()).getRdns()) {
          if (rdn.getType().equalsIgnoreCase(type)) {
            values.add(String.valueOf(rdn.getValue()));
          }
        }
      } catch (javax.naming.InvalidNameException e) {
        return List.of(); // not a name X.500 would write: nothing to find in it
      }
    }
    return values;
  }

  /** TLS 1.3 and 1.2 only, on an engine or socket's supported list. */
  public static String[] protocols() {
    return PROTOCOLS.clone();
  }

  /**
   * An engine of {@code context} for one connection to or from {@code host:port} (null, -1: not
   * known): TLS 1.3/1.2; as server it requires the peer's certificate (mutual TLS).
   */
  public static javax.net.ssl.SSLEngine engine(SSLContext context, String host, int port, boolean client) {
    javax.net.ssl.SSLEngine engine = host == null ? context.createSSLEngine() : context.createSSLEngine(host, port);
    engine.setEnabledProtocols(protocols());
    engine.setUseClientMode(client);
    if (!client) {
      engine.setNeedClientAuth(true);
    }
    return engine;
  }

  private static KeyStore emptyStore() {
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      return ks;
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException("no PKCS12 key store in this JVM", e);
    }
  }

  private static KeyStore loadPkcs12(Path file, String password, String key) {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, password.toCharArray());
      return ks;
    } catch (IOException | GeneralSecurityException e) {
      throw invalid(key, file, "is not a PKCS12 store this password opens: " + e.getMessage());
    }
  }

  private static List<Certificate> certificates(Path file, String key) {
    try (InputStream in = Files.newInputStream(file)) {
      Collection<? extends Certificate> all = CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (all.isEmpty()) {
        throw invalid(key, file, "holds no certificate");
      }
      return new ArrayList<>(all);
    } catch (IOException | GeneralSecurityException e) {
      throw invalid(key, file, "is not a PEM certificate file: " + e.getMessage());
    }
  }

  private static PrivateKey privateKey(Path file, String algorithm) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw invalid("distkv.tls.key-file", file, "cannot be read: " + e.getMessage());
    }
    String begin = "-----BEGIN PRIVATE KEY-----";
    int from = text.indexOf(begin);
    int to = text.indexOf("-----END PRIVATE KEY-----");
    if (from < 0 || to < from) {
      throw invalid("distkv.tls.key-file", file, "is not a PEM PKCS#8 private key (BEGIN PRIVATE KEY); convert one with "
          + "'openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8'");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(text.substring(from + begin.length(), to));
      return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IllegalArgumentException | GeneralSecurityException e) {
      throw invalid("distkv.tls.key-file", file, "is not a " + algorithm + " PKCS#8 key: " + e.getMessage());
    }
  }

  private static ConfigValidationException invalid(String key, Path file, String what) {
    return new ConfigValidationException(List.of(key + " = " + file + ": " + what));
  }

  /** The Artery {@code SSLEngineProvider} (client module) that reads {@code distkv.tls} from its ActorSystem's config. */
  public static final String ARTERY_PROVIDER = "io.distkv.client.ArteryTls";

  /**
   * The settings that put an ActorSystem's Artery on TLS with these files (the transport, the
   * engine provider and this {@code distkv.tls} block, which the provider reads), or nothing when
   * TLS is off. Throws {@link ConfigValidationException} when the certificate is not a node
   * certificate ({@link #isNodeCertificate}): the other end would refuse it.
   */
  public Config arteryConfig() {
    if (!enabled) {
      return com.typesafe.config.ConfigFactory.empty();
    }
    X509Certificate own = certificate();
    if (!isNodeCertificate(own)) {
      String key = keyStore != null ? "distkv.tls.key-store" : "distkv.tls.cert-file";
      throw invalid(key, keyStore != null ? keyStore : certFile, "holds '" + own.getSubjectX500Principal().getName()
          + "', not a node certificate: Artery (the nodes' network) takes only certificates whose subject has OU="
          + NODE_UNIT + " (scripts/gen-certs.sh writes it for every name before --users); a client with a user "
          + "certificate connects with distkv.client.transport = resp");
    }
    java.util.Map<String, Object> tls = new java.util.LinkedHashMap<>();
    tls.put("enabled", true);
    put(tls, "cert-file", certFile);
    put(tls, "key-file", keyFile);
    put(tls, "ca-file", caFile);
    put(tls, "key-store", keyStore);
    put(tls, "trust-store", trustStore);
    tls.put("key-store-password", keyStorePassword);
    tls.put("trust-store-password", trustStorePassword);
    return com.typesafe.config.ConfigFactory.parseMap(java.util.Map.of(
        "pekko.remote.artery.transport", "tls-tcp",
        "pekko.remote.artery.ssl.ssl-engine-provider", ARTERY_PROVIDER))
        .withFallback(com.typesafe.config.ConfigFactory.parseMap(tls).atPath("distkv.tls"));
  }

  private static void put(java.util.Map<String, Object> m, String key, Path file) {
    if (file != null) {
      m.put(key, file.toAbsolutePath().toString());
    }
  }
}
