package io.distkv.bench.load;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.exceptions.JedisDataException;

/**
 * dist-kv through its Redis protocol (docs/resp.md) with Jedis, a blocking Redis client library as
 * any user's ({@code resp-jedis}; {@link LettuceDriver} is {@code resp}): one connection pool per node, requests spread round-robin over the nodes (each routes
 * to the partition's leader), one blocking call per virtual user on a thread of its own.
 * EVENTUAL reads send READONLY on every connection first.
 */
final class RespDriver implements Driver {
  private final List<JedisPool> nodes = new ArrayList<>();
  private final ExecutorService threads;
  private final AtomicInteger next = new AtomicInteger();

  RespDriver(List<String> endpoints, int maxClients, boolean eventual) {
    this.threads = Executors.newFixedThreadPool(maxClients, r -> {
      Thread t = new Thread(r, "resp-driver");
      t.setDaemon(true);
      return t;
    });
    for (String e : endpoints) {
      HostAndPort hp = HostAndPort.from(e);
      org.apache.commons.pool2.impl.GenericObjectPoolConfig<Jedis> pool = new org.apache.commons.pool2.impl.GenericObjectPoolConfig<>();
      pool.setMaxTotal(maxClients);
      pool.setMaxIdle(maxClients);
      DefaultJedisClientConfig.Builder config = DefaultJedisClientConfig.builder().timeoutMillis(10_000);
      if (eventual) {
        config.readOnlyForRedisClusterReplicas(); // READONLY when each connection opens
      }
      nodes.add(new JedisPool(pool, hp, config.build()));
    }
  }

  @Override
  public String name() {
    return "resp-jedis";
  }

  private JedisPool node() {
    return nodes.get(Math.floorMod(next.getAndIncrement(), nodes.size()));
  }

  @Override
  public CompletableFuture<?> read(byte[] key) {
    JedisPool n = node();
    return CompletableFuture.supplyAsync(() -> {
      try (Jedis j = n.getResource()) {
        return j.get(key);
      }
    }, threads);
  }

  @Override
  public CompletableFuture<?> write(byte[] key, byte[] value) {
    JedisPool n = node();
    return CompletableFuture.supplyAsync(() -> {
      try (Jedis j = n.getResource()) {
        return j.set(key, value);
      }
    }, threads);
  }

  @Override
  public String errorCode(Throwable failure) {
    return Driver.redisErrorCode(failure, JedisDataException.class);
  }

  @Override
  public void close() {
    threads.shutdownNow();
    nodes.forEach(JedisPool::close);
  }
}
