package io.distkv.common.error;

/** On-disk data failed a checksum or format check; the message names the file and offset. */
public class CorruptionException extends DistKvException {
  public CorruptionException(String message) {
    super(ErrorCode.CORRUPTION, message);
  }
}
