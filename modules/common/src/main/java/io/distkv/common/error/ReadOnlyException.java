package io.distkv.common.error;

/** The partition is on the minority side of a split: writes are refused, eventual reads still answer. */
public class ReadOnlyException extends DistKvException {
  public ReadOnlyException(String message) {
    super(ErrorCode.READ_ONLY, message);
  }
}
