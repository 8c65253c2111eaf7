package io.distkv.common.error;

/** No majority of the partition's replicas is reachable, so a linearizable read cannot be served. */
public class NoQuorumException extends DistKvException {
  public NoQuorumException(String message) {
    super(ErrorCode.NO_QUORUM, message);
  }
}
