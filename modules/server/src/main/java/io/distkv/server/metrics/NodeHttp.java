package io.distkv.server.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.distkv.common.config.TlsSettings;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's HTTP endpoints on {@code distkv.node.http-port} (docs/operations.md): {@code /metrics}
 * (Prometheus), {@code /health} (the process is alive) and {@code /ready} (the node is an Up member
 * and every partition it hosts has a leader; 503 otherwise). The JDK's HTTP server on one thread of
 * its own: a scrape never runs on the node's dispatchers. Outlives the node's incarnations. With the
 * node's TLS it serves HTTPS with the node's certificate, and like every port of a TLS node it
 * requires the client's certificate, signed by the cluster's CA (mutual TLS; docs/security.md).
 */
public final class NodeHttp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(NodeHttp.class);

  private final HttpServer server;
  private final ExecutorService executor;

  private NodeHttp(HttpServer server, ExecutorService executor) {
    this.server = server;
    this.executor = executor;
  }

  /**
   * Serves {@code metrics} on {@code host:port} (0 = any free port): over HTTPS with {@code tls}
   * (TLS 1.3/1.2, the client's certificate required), or plain HTTP when it is null.
   */
  public static NodeHttp start(String host, int port, String nodeId, NodeMetrics metrics, SSLContext tls) {
    HttpServer server;
    try {
      if (tls == null) {
        server = HttpServer.create(new InetSocketAddress(host, port), 16);
      } else {
        HttpsServer https = HttpsServer.create(new InetSocketAddress(host, port), 16);
        https.setHttpsConfigurator(new HttpsConfigurator(tls) {
          @Override
          public void configure(HttpsParameters params) {
            SSLParameters p = tls.getDefaultSSLParameters();
            p.setProtocols(TlsSettings.protocols());
            p.setNeedClientAuth(true);
            params.setSSLParameters(p);
          }
        });
        server = https;
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot serve HTTP" + (tls == null ? "" : "S") + " on " + host + ":" + port
          + " (distkv.node.http-port): " + e, e);
    }
    server.createContext("/metrics", ex -> {
      String accept = ex.getRequestHeaders().getFirst("Accept");
      respond(ex, 200, NodeMetrics.contentType(accept), metrics.scrape(accept));
    });
    server.createContext("/health", ex -> respond(ex, 200, "application/json",
        "{\"status\":\"UP\",\"node\":\"" + nodeId + "\"}"));
    server.createContext("/ready", ex -> {
      NodeMetrics.Readiness r = metrics.readiness();
      String body = "{\"ready\":" + r.ready() + ",\"node\":\"" + nodeId + "\",\"state\":\"" + r.state()
          + "\",\"member\":\"" + r.memberStatus() + "\",\"partitions\":" + r.partitions()
          + ",\"partitions_without_leader\":[" + r.withoutLeader().stream().map(String::valueOf)
              .collect(Collectors.joining(",")) + "]}";
      respond(ex, r.ready() ? 200 : 503, "application/json", body);
    });
    server.createContext("/", ex -> respond(ex, 404, "text/plain; charset=utf-8",
        "not found: " + ex.getRequestURI().getPath() + " (endpoints: /metrics /health /ready)\n"));
    ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "distkv-http");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.start();
    log.info("serving /metrics, /health and /ready on {}://{}:{}", tls == null ? "http" : "https", host,
        server.getAddress().getPort());
    return new NodeHttp(server, executor);
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    try (ex) {
      if (!ex.getRequestMethod().equals("GET") && !ex.getRequestMethod().equals("HEAD")) {
        byte[] b = "only GET\n".getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Allow", "GET, HEAD");
        ex.sendResponseHeaders(405, b.length);
        ex.getResponseBody().write(b);
        return;
      }
      byte[] b = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType);
      boolean head = ex.getRequestMethod().equals("HEAD");
      ex.sendResponseHeaders(status, head ? -1 : b.length);
      if (!head) {
        try (OutputStream out = ex.getResponseBody()) {
          out.write(b);
        }
      }
    }
  }

  /** The port it listens on. */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
