package io.distkv.common.error;

/** The node or client is shutting down or already closed. */
public class ShuttingDownException extends DistKvException {
  public ShuttingDownException(String message) {
    super(ErrorCode.SHUTTING_DOWN, message);
  }
}
