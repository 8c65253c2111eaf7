package io.distkv.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.KeyLimits;
import io.distkv.common.config.ConfigReader;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.config.TlsSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * How a {@link DistKvClient} reaches and treats the cluster. From code ({@link #builder()}) or HOCON
 * ({@link #fromConfig}, keys under {@code distkv.client}, defaults in common's reference.conf;
 * {@code conf/client.conf} is the local cluster's).
 *
 * @param contactPoints "host:port" Artery addresses of nodes to ask for the cluster map (≥ 1)
 * @param host the address the client's own remoting binds to (replies come back there)
 * @param port the client's remoting port (0 = any free port)
 * @param requestTimeout a request's whole deadline, retries included
 * @param attemptTimeout how long one attempt waits for a node before the client tries another
 * @param maxRetries retries after the first attempt (NOT_LEADER, TIMEOUT, BUSY, UNAVAILABLE, no answer)
 * @param retryBackoff first retry's delay; doubles per retry, capped at 500 ms
 * @param clientId the write session id (exactly-once writes); unique per client instance
 * @param limits key and value size limits checked before anything is sent
 * @param tls {@code distkv.tls}: when enabled, the client's remoting runs over mutual TLS with
 *     this certificate and CA (the nodes must run TLS with the same CA)
 * @param transport how the client reaches the nodes: {@link Transport#ARTERY} (their Artery
 *     addresses; contact points are Artery "host:port") or {@link Transport#RESP} (their RESP
 *     ports, the client port: contact points are RESP "host:port", and the client logs in as
 *     {@code user})
 * @param user the RESP user the client logs in as ("" = the default user, or the one its TLS
 *     certificate names); RESP transport only
 * @param password that user's password ("" = no AUTH); RESP transport only
 */
public record ClientSettings(List<String> contactPoints, String host, int port, Duration requestTimeout,
    Duration attemptTimeout, int maxRetries, Duration retryBackoff, String clientId, KeyLimits limits,
    TlsSettings tls, Transport transport, String user, String password) {

  /** How a client reaches the nodes (docs/client.md "Transports"). */
  public enum Transport {
    /** Pekko remoting: the client is a non-member ActorSystem and sends each request to its leader's node. */
    ARTERY,
    /** The nodes' RESP ports: no ActorSystem; a user with a role; the node routes each request. */
    RESP
  }

  public ClientSettings {
    List<String> problems = new ArrayList<>();
    if (contactPoints == null || contactPoints.isEmpty()) {
      problems.add("contact-points: at least one \"host:port\" is required");
    } else {
      for (String c : contactPoints) {
        if (!validHostPort(c)) {
          problems.add("contact-points: '" + c + "' is not \"host:port\" with a port 1..65535");
        }
      }
      contactPoints = List.copyOf(contactPoints);
    }
    if (port < 0 || port > 65535) {
      problems.add("port: " + port + " is not 0..65535");
    }
    if (requestTimeout == null || requestTimeout.isNegative() || requestTimeout.isZero()) {
      problems.add("request-timeout: must be positive");
    }
    if (attemptTimeout == null || attemptTimeout.isNegative() || attemptTimeout.isZero()) {
      problems.add("attempt-timeout: must be positive");
    }
    if (maxRetries < 0 || maxRetries > 100) {
      problems.add("max-retries: " + maxRetries + " is not 0..100");
    }
    if (retryBackoff == null || retryBackoff.isNegative()) {
      problems.add("retry-backoff: must not be negative");
    }
    if (clientId == null || clientId.isEmpty() || clientId.length() > 128) {
      problems.add("client id: 1..128 characters required");
    }
    if (!problems.isEmpty()) {
      throw new ConfigValidationException(problems);
    }
    host = host == null ? "127.0.0.1" : host;
    limits = limits == null ? KeyLimits.DEFAULT : limits;
    tls = tls == null ? TlsSettings.OFF : tls;
    transport = transport == null ? Transport.ARTERY : transport;
    user = user == null ? "" : user;
    password = password == null ? "" : password;
  }

  /** The settings without the password. */
  @Override
  public String toString() {
    return "ClientSettings[contactPoints=" + contactPoints + ", transport=" + transport + ", user=" + user
        + ", password=" + (password.isEmpty() ? "" : "***") + ", host=" + host + ", port=" + port + ", requestTimeout="
        + requestTimeout + ", attemptTimeout=" + attemptTimeout + ", maxRetries=" + maxRetries + ", clientId="
        + clientId + ", tls=" + tls.enabled() + "]";
  }

  static boolean validHostPort(String s) {
    int colon = s == null ? -1 : s.lastIndexOf(':');
    if (colon <= 0) {
      return false;
    }
    try {
      int p = Integer.parseInt(s.substring(colon + 1));
      return p >= 1 && p <= 65535;
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** Settings from {@code distkv.client} of {@code config} (falls back to the defaults); every bad key is reported. */
  public static ClientSettings fromConfig(Config config) {
    Config c = config.withFallback(ConfigFactory.defaultReference()).resolve();
    ConfigReader r = new ConfigReader(c);
    List<String> contacts = r.stringList("distkv.client.contact-points");
    String host = r.string("distkv.client.host", true);
    int port = r.intInRange("distkv.client.port", 0, 65535);
    Duration request = r.positiveDuration("distkv.client.request-timeout");
    Duration attempt = r.positiveDuration("distkv.client.attempt-timeout");
    int retries = r.intInRange("distkv.client.max-retries", 0, 100);
    Duration backoff = r.positiveDuration("distkv.client.retry-backoff");
    long maxKey = r.bytesInRange("distkv.limits.max-key-size", 1, 64 * 1024);
    long maxValue = r.bytesInRange("distkv.limits.max-value-size", 0, 1 << 20);
    if (contacts != null) {
      for (String cp : contacts) {
        if (!validHostPort(cp)) {
          r.problem("distkv.client.contact-points", "every entry must be \"host:port\" with a port 1..65535 ('" + cp + "' is not)");
        }
      }
    }
    TlsSettings tls = TlsSettings.read(c, r);
    String transport = r.string("distkv.client.transport", false);
    Transport t = null;
    if (transport != null) {
      try {
        t = Transport.valueOf(transport.toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        r.problem("distkv.client.transport", "must be artery or resp, was '" + transport + "'");
      }
    }
    String user = r.string("distkv.client.user", false);
    String password = r.string("distkv.client.password", false);
    r.throwIfInvalid();
    return new ClientSettings(contacts, host, port, request, attempt, retries, backoff, newClientId(),
        new KeyLimits((int) maxKey, (int) maxValue), tls, t, user, password);
  }

  /** Settings from a HOCON file (e.g. conf/client.conf). */
  public static ClientSettings fromFile(Path file) {
    if (!Files.isReadable(file)) {
      throw new ConfigValidationException(List.of("client config file " + file + " does not exist or is not readable"));
    }
    return fromConfig(ConfigFactory.parseFile(file.toFile()));
  }

  public static Builder builder() {
    return new Builder();
  }

  static String newClientId() {
    return "client-" + UUID.randomUUID();
  }

  public ClientSettings withContactPoints(List<String> points) {
    return new ClientSettings(points, host, port, requestTimeout, attemptTimeout, maxRetries, retryBackoff, clientId, limits,
        tls, transport, user, password);
  }

  /** Builder with the reference.conf defaults. */
  public static final class Builder {
    private List<String> contactPoints = List.of("127.0.0.1:7101");
    private String host = "127.0.0.1";
    private int port;
    private Duration requestTimeout = Duration.ofSeconds(5);
    private Duration attemptTimeout = Duration.ofSeconds(2);
    private int maxRetries = 20;
    private Duration retryBackoff = Duration.ofMillis(20);
    private String clientId = newClientId();
    private KeyLimits limits = KeyLimits.DEFAULT;
    private TlsSettings tls = TlsSettings.OFF;
    private Transport transport = Transport.ARTERY;
    private String user = "";
    private String password = "";

    public Builder contactPoints(List<String> v) {
      contactPoints = v;
      return this;
    }

    public Builder contactPoints(String... v) {
      contactPoints = List.of(v);
      return this;
    }

    public Builder host(String v) {
      host = v;
      return this;
    }

    public Builder port(int v) {
      port = v;
      return this;
    }

    public Builder requestTimeout(Duration v) {
      requestTimeout = v;
      return this;
    }

    public Builder attemptTimeout(Duration v) {
      attemptTimeout = v;
      return this;
    }

    public Builder maxRetries(int v) {
      maxRetries = v;
      return this;
    }

    public Builder retryBackoff(Duration v) {
      retryBackoff = v;
      return this;
    }

    public Builder clientId(String v) {
      clientId = v;
      return this;
    }

    public Builder limits(KeyLimits v) {
      limits = v;
      return this;
    }

    /** Mutual TLS with these files (see {@link TlsSettings}); off by default. */
    public Builder tls(TlsSettings v) {
      tls = v;
      return this;
    }

    /** How to reach the nodes (contact points are then RESP endpoints for {@link Transport#RESP}). */
    public Builder transport(Transport v) {
      transport = v;
      return this;
    }

    /** Log in as {@code user} with {@code password} (RESP transport; "" = no AUTH). */
    public Builder credentials(String user, String password) {
      this.user = user;
      this.password = password;
      return this;
    }

    public ClientSettings build() {
      return new ClientSettings(contactPoints, host, port, requestTimeout, attemptTimeout, maxRetries, retryBackoff,
          clientId, limits, tls, transport, user, password);
    }
  }
}
