package io.distkv.bench.load;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.error.DistKvException;
import io.distkv.common.protocol.Consistency;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * dist-kv through its Java client, on Artery ("distkv": one ActorSystem) or on the RESP transport
 * ("distkv-resp"): one client shared by every virtual user.
 */
final class DistKvDriver implements Driver {
  private final String name;
  private final DistKvClient client;
  private final Consistency consistency;

  /** How long the driver keeps trying to connect to a cluster that does not answer yet. */
  static final java.time.Duration CONNECT_WITHIN = java.time.Duration.ofSeconds(60);

  DistKvDriver(String name, ClientSettings settings, Consistency consistency) {
    this.name = name;
    this.client = connect(settings);
    this.consistency = consistency;
  }

  /**
   * Connects, trying again (each try waits the request timeout) for up to {@link #CONNECT_WITHIN}:
   * a cluster that was just started answers RESP before its nodes' first Artery TLS handshakes
   * with a new client are done (seen: no answer within 5 s from three nodes started 10 s before
   * on this 2-core machine).
   */
  static DistKvClient connect(ClientSettings settings) {
    long deadline = System.nanoTime() + CONNECT_WITHIN.toNanos();
    while (true) {
      try {
        return DistKvClient.connect(settings);
      } catch (io.distkv.common.error.UnavailableException e) {
        if (System.nanoTime() > deadline) {
          throw e;
        }
        System.err.println(e.getMessage() + "; trying again");
      }
    }
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<?> read(byte[] key) {
    return client.get(key, consistency).toCompletableFuture();
  }

  @Override
  public CompletableFuture<?> write(byte[] key, byte[] value) {
    return client.put(key, value).toCompletableFuture();
  }

  @Override
  public void trace(int oneIn, java.util.function.Consumer<long[]> sink) {
    client.trace(oneIn, sink);
  }

  @Override
  public String errorCode(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    if (t instanceof java.util.concurrent.TimeoutException) {
      return "TIMEOUT";
    }
    return t instanceof DistKvException d ? d.code().name() : t.getClass().getSimpleName();
  }

  @Override
  public void close() {
    client.close();
  }
}
