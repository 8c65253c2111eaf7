package io.distkv.bench.load;

import java.util.concurrent.CompletableFuture;

/**
 * One store under load: asynchronous reads and writes, many in flight. Failures complete the
 * future exceptionally; {@link #errorCode} names them for the error table.
 */
interface Driver extends AutoCloseable {
  String name();

  CompletableFuture<?> read(byte[] key);

  CompletableFuture<?> write(byte[] key, byte[] value);

  /** A short name for a failure (an error code or exception class). */
  String errorCode(Throwable failure);

  @Override
  void close();
}
