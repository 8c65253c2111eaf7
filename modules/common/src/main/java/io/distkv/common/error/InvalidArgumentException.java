package io.distkv.common.error;

/** Bad input: the message names the argument, the limit and the actual value. */
public class InvalidArgumentException extends DistKvException {
  public InvalidArgumentException(String message) {
    super(ErrorCode.INVALID_ARGUMENT, message);
  }
}
