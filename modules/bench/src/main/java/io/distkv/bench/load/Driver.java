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

  /**
   * Traces one request in {@code oneIn} (0 = none) and hands each traced request's stage stamps
   * ({@link io.distkv.common.protocol.Trace}) to {@code sink}; a store without tracing ignores it.
   */
  default void trace(int oneIn, java.util.function.Consumer<long[]> sink) {}

  /** A short name for a failure (an error code or exception class). */
  String errorCode(Throwable failure);

  /**
   * dist-kv's code in a Redis error reply of a Redis client, whose exception for such replies is
   * {@code replyError} ("-TRYAGAIN NOT_LEADER ..." → NOT_LEADER), else the failure's class name.
   */
  static String redisErrorCode(Throwable failure, Class<? extends Throwable> replyError) {
    Throwable t = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
        ? failure.getCause() : failure;
    if (replyError.isInstance(t) && t.getMessage() != null) {
      String[] words = t.getMessage().split(" ");
      return words.length > 1 ? words[1] : words[0];
    }
    return t.getClass().getSimpleName();
  }

  @Override
  void close();
}
