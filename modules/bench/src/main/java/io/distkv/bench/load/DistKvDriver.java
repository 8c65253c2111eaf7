package io.distkv.bench.load;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.error.DistKvException;
import io.distkv.common.protocol.Consistency;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/** dist-kv through its Java client: one client (one ActorSystem) shared by every virtual user. */
final class DistKvDriver implements Driver {
  private final DistKvClient client;
  private final Consistency consistency;

  DistKvDriver(ClientSettings settings, Consistency consistency) {
    this.client = DistKvClient.connect(settings);
    this.consistency = consistency;
  }

  @Override
  public String name() {
    return "distkv";
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
