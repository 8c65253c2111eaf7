package io.distkv.common.error;

/** Backpressure: too much uncommitted work; retry after a short backoff. */
public class BusyException extends DistKvException {
  public BusyException(String message) {
    super(ErrorCode.BUSY, message);
  }
}
