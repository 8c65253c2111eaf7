package io.distkv.common.error;

/** The entity being added (node, replica, key for put-if-absent) already exists. */
public class AlreadyExistsException extends DistKvException {
  public AlreadyExistsException(String message) {
    super(ErrorCode.ALREADY_EXISTS, message);
  }
}
