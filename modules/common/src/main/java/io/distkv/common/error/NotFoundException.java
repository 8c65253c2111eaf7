package io.distkv.common.error;

/** A named entity (node, partition, file) does not exist; a missing key is an empty result instead. */
public class NotFoundException extends DistKvException {
  public NotFoundException(String message) {
    super(ErrorCode.NOT_FOUND, message);
  }
}
