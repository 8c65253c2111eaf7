package io.distkv.bench.load;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * dist-kv through its Redis protocol (docs/resp.md) with Lettuce, an asynchronous Redis client, as
 * its users run it: {@code connections} multiplexed connections per node, shared by every virtual
 * user (Lettuce pipelines the commands of all callers on a connection), requests spread
 * round-robin over the connections of every node (each node routes to the partition's leader).
 * EVENTUAL reads send READONLY on every connection first.
 */
final class LettuceDriver implements Driver {
  private final ClientResources resources;
  private final List<RedisClient> clients = new ArrayList<>();
  private final List<StatefulRedisConnection<byte[], byte[]>> connections = new ArrayList<>();
  private final AtomicInteger next = new AtomicInteger();

  LettuceDriver(List<String> endpoints, int connectionsPerNode, boolean eventual, boolean consolidateFlushes) {
    if (connectionsPerNode < 1) {
      throw new IllegalArgumentException("--resp-connections must be >= 1, was " + connectionsPerNode);
    }
    this.resources = resources(consolidateFlushes);
    try {
      for (String e : endpoints) {
        RedisClient client = RedisClient.create(resources, uri(e));
        clients.add(client);
        for (int i = 0; i < connectionsPerNode; i++) {
          StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
          if (eventual) {
            c.sync().dispatch(CommandType.READONLY, new StatusOutput<>(ByteArrayCodec.INSTANCE));
          }
          connections.add(c);
        }
      }
    } catch (RuntimeException e) {
      close();
      throw e;
    }
  }

  /**
   * Lettuce's resources: with {@code consolidateFlushes}, every connection's pipeline starts with
   * Netty's {@link FlushConsolidationHandler}, so commands written while the connection's event loop
   * reads replies (a closed loop's next operations, issued from the replies' callbacks) leave in
   * one socket write when the read ends, and commands written from other threads within one event
   * loop turn leave together too (at most 256 per write). Without it Lettuce flushes every command
   * on its own: one write system call per command, and one per command for the server to read.
   */
  static ClientResources resources(boolean consolidateFlushes) {
    if (!consolidateFlushes) {
      return DefaultClientResources.create();
    }
    return DefaultClientResources.builder().nettyCustomizer(new NettyCustomizer() {
      @Override
      public void afterChannelInitialized(Channel channel) {
        channel.pipeline().addFirst(new FlushConsolidationHandler(256, true));
      }
    }).build();
  }

  /** A RESP endpoint "host:port" as Lettuce's URI, with a 10 s command timeout. */
  static RedisURI uri(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("RESP endpoint '" + endpoint + "' is not host:port");
    }
    return RedisURI.Builder.redis(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)))
        .withTimeout(Duration.ofSeconds(10)).build();
  }

  @Override
  public String name() {
    return "resp";
  }

  private StatefulRedisConnection<byte[], byte[]> connection() {
    return connections.get(Math.floorMod(next.getAndIncrement(), connections.size()));
  }

  @Override
  public CompletableFuture<?> read(byte[] key) {
    return connection().async().get(key).toCompletableFuture();
  }

  @Override
  public CompletableFuture<?> write(byte[] key, byte[] value) {
    return connection().async().set(key, value).toCompletableFuture();
  }

  @Override
  public String errorCode(Throwable failure) {
    return Driver.redisErrorCode(failure, RedisCommandExecutionException.class);
  }

  @Override
  public void close() {
    connections.forEach(StatefulRedisConnection::close);
    clients.forEach(RedisClient::shutdown);
    resources.shutdown();
  }
}
