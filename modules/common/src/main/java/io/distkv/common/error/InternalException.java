package io.distkv.common.error;

/** A bug or broken invariant inside dist-kv; never the caller's fault. */
public class InternalException extends DistKvException {
  public InternalException(String message, Throwable cause) {
    super(ErrorCode.INTERNAL, message, cause);
  }
}
