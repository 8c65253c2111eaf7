package io.distkv.bench.load;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KV;
import io.etcd.jetcd.options.GetOption;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * etcd through the official Java client (jetcd): one client (one gRPC channel set) shared by every
 * virtual user. Linearizable reads are etcd's default range reads; EVENTUAL maps to serializable
 * reads (served by the contacted member without a quorum round).
 */
final class EtcdDriver implements Driver {
  private final Client client;
  private final KV kv;
  private final GetOption getOption;

  EtcdDriver(List<String> endpoints, boolean serializable) {
    this.client = Client.builder().endpoints(endpoints.toArray(String[]::new)).build();
    this.kv = client.getKVClient();
    this.getOption = GetOption.builder().withSerializable(serializable).build();
  }

  @Override
  public String name() {
    return "etcd";
  }

  @Override
  public CompletableFuture<?> read(byte[] key) {
    return kv.get(ByteSequence.from(key), getOption);
  }

  @Override
  public CompletableFuture<?> write(byte[] key, byte[] value) {
    return kv.put(ByteSequence.from(key), ByteSequence.from(value));
  }

  @Override
  public String errorCode(Throwable failure) {
    Throwable t = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    return t instanceof java.util.concurrent.TimeoutException ? "TIMEOUT" : t.getClass().getSimpleName();
  }

  @Override
  public void close() {
    kv.close();
    client.close();
  }
}
