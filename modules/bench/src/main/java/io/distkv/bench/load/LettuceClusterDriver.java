package io.distkv.bench.load;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.resource.ClientResources;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * dist-kv through its Redis protocol with Lettuce's Redis Cluster client ({@code resp-cluster}):
 * it reads the slot map (CLUSTER NODES; the cluster must have distkv.hash-tags on, as make run's
 * has) and sends each key to the node that leads its partition, over one multiplexed connection
 * per node, shared by every virtual user. Reads are linearizable: dist-kv's CLUSTER NODES lists
 * masters only, so there is no replica to read from.
 */
final class LettuceClusterDriver implements Driver {
  private final ClientResources resources;
  private final RedisClusterClient client;
  private final StatefulRedisClusterConnection<byte[], byte[]> connection;

  LettuceClusterDriver(List<String> endpoints, boolean eventual, boolean consolidateFlushes) {
    if (eventual) {
      throw new IllegalArgumentException("the resp-cluster driver reads linearizably only (dist-kv's CLUSTER NODES lists"
          + " no replicas); use resp with --consistency eventual");
    }
    List<RedisURI> seeds = new ArrayList<>();
    for (String e : endpoints) {
      seeds.add(LettuceDriver.uri(e));
    }
    this.resources = LettuceDriver.resources(consolidateFlushes);
    this.client = RedisClusterClient.create(resources, seeds);
    try {
      this.connection = client.connect(ByteArrayCodec.INSTANCE);
    } catch (RuntimeException e) {
      client.shutdown();
      resources.shutdown();
      throw e;
    }
  }

  @Override
  public String name() {
    return "resp-cluster";
  }

  @Override
  public CompletableFuture<?> read(byte[] key) {
    return connection.async().get(key).toCompletableFuture();
  }

  @Override
  public CompletableFuture<?> write(byte[] key, byte[] value) {
    return connection.async().set(key, value).toCompletableFuture();
  }

  @Override
  public String errorCode(Throwable failure) {
    return Driver.redisErrorCode(failure, RedisCommandExecutionException.class);
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown();
    resources.shutdown();
  }
}
