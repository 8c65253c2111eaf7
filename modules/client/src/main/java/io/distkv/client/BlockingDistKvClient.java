package io.distkv.client;

import io.distkv.common.error.DistKvException;
import io.distkv.common.error.InternalException;
import io.distkv.common.error.RequestTimeoutException;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.Consistency;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The blocking facade of a {@link DistKvClient}: the same operations, waiting for the answer and
 * throwing the typed {@link DistKvException} on failure. String overloads use UTF-8.
 */
public final class BlockingDistKvClient {
  private final DistKvClient client;

  BlockingDistKvClient(DistKvClient client) {
    this.client = client;
  }

  private <T> T await(CompletionStage<T> stage) {
    return await(stage, client.settings().requestTimeout().toMillis() + 5_000);
  }

  private <T> T await(CompletionStage<T> stage, long waitMs) {
    try {
      return stage.toCompletableFuture().get(waitMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      Throwable cause = io.distkv.common.concurrent.Failures.cause(e);
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      throw new InternalException("request failed: " + cause, cause);
    } catch (TimeoutException e) {
      throw new RequestTimeoutException("no answer within " + waitMs + " ms");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InternalException("interrupted while waiting for the cluster", e);
    }
  }

  private static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  public Optional<Versioned> get(byte[] key) {
    return await(client.get(key));
  }

  public Optional<Versioned> get(byte[] key, Consistency consistency) {
    return await(client.get(key, consistency));
  }

  public Optional<String> get(String key) {
    return get(utf8(key)).map(Versioned::valueAsString);
  }

  public long put(byte[] key, byte[] value) {
    return await(client.put(key, value));
  }

  public long put(String key, String value) {
    return put(utf8(key), utf8(value));
  }

  public long delete(byte[] key) {
    return await(client.delete(key));
  }

  public long delete(String key) {
    return delete(utf8(key));
  }

  public WriteResult putIfAbsent(byte[] key, byte[] value) {
    return await(client.putIfAbsent(key, value));
  }

  public WriteResult compareAndSet(byte[] key, long expectedVersion, byte[] value) {
    return await(client.compareAndSet(key, expectedVersion, value));
  }

  public WriteResult batch(Batch batch) {
    return await(client.batch(batch));
  }

  public ScanPage scan(byte[] start, byte[] end, int limit) {
    return await(client.scan(start, end, limit));
  }

  public ScanPage scan(byte[] start, byte[] end, int limit, Consistency consistency) {
    return await(client.scan(start, end, limit, consistency));
  }

  public ScanPage nextPage(ScanPage page) {
    return await(client.nextPage(page));
  }

  /** Every live key in [start, end), fetched lazily {@code pageSize} at a time. */
  public Stream<KeyValue> scanAll(byte[] start, byte[] end, int pageSize) {
    Iterator<KeyValue> it = new Iterator<>() {
      ScanPage page = scan(start, end, pageSize);
      Iterator<KeyValue> current = page.entries().iterator();

      @Override
      public boolean hasNext() {
        while (!current.hasNext() && page.hasMore()) {
          page = nextPage(page);
          current = page.entries().iterator();
        }
        return current.hasNext();
      }

      @Override
      public KeyValue next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return current.next();
      }
    };
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL), false);
  }

  public ClusterInfo clusterInfo() {
    return await(client.clusterInfo());
  }

  public Optional<String> leaderFor(byte[] key) {
    return await(client.leaderFor(key));
  }

  /** See {@link DistKvClient#addNode}; returns the summary. */
  public String addNode(String node) {
    return await(client.addNode(node), DistKvClient.MEMBERSHIP_TIMEOUT.toMillis() + 5_000);
  }

  /** See {@link DistKvClient#removeNode}; returns the summary. */
  public String removeNode(String node) {
    return await(client.removeNode(node), DistKvClient.MEMBERSHIP_TIMEOUT.toMillis() + 5_000);
  }

  /** See {@link DistKvClient#rebalance}; returns the summary. */
  public String rebalance() {
    return await(client.rebalance(), DistKvClient.MEMBERSHIP_TIMEOUT.toMillis() + 5_000);
  }

  public void transferLeader(int partition, String node) {
    await(client.transferLeader(partition, node));
  }

  public int partitionOf(byte[] key) {
    return client.partitionOf(key);
  }
}
