package io.distkv.common.error;

/** The request's deadline passed before an answer arrived; the write may or may not have applied. */
public class RequestTimeoutException extends DistKvException {
  public RequestTimeoutException(String message) {
    super(ErrorCode.TIMEOUT, message);
  }
}
