package io.distkv.common.concurrent;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** What made a future fail, without the wrappers its failure comes in. */
public final class Failures {
  private Failures() {}

  /** {@code t} without its CompletionException and ExecutionException wrappers (those with a cause). */
  public static Throwable cause(Throwable t) {
    Throwable cause = t;
    while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    return cause;
  }
}
