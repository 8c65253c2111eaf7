package io.distkv.common.error;

/** A compare-and-set found a different version than the one expected. */
public class ConflictException extends DistKvException {
  public ConflictException(String message) {
    super(ErrorCode.CONFLICT, message);
  }
}
