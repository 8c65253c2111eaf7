package io.distkv.common.error;

/** A disk operation failed; the message names the file and the operation. */
public class StorageIoException extends DistKvException {
  public StorageIoException(String message, Throwable cause) {
    super(ErrorCode.IO_ERROR, message, cause);
  }
}
