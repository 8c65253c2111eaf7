package io.distkv.common.error;

/** No replica of the partition is reachable (UNAVAILABLE) or this node is cut off (PARTITIONED). */
public class UnavailableException extends DistKvException {
  public UnavailableException(String message) {
    this(ErrorCode.UNAVAILABLE, message);
  }

  public UnavailableException(ErrorCode code, String message) {
    super(checked(code), message);
  }

  private static ErrorCode checked(ErrorCode code) {
    if (code != ErrorCode.UNAVAILABLE && code != ErrorCode.PARTITIONED) {
      throw new IllegalArgumentException("UnavailableException takes UNAVAILABLE or PARTITIONED, not " + code);
    }
    return code;
  }
}
