package io.distkv.resp;

import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;

/**
 * dist-kv's errors in Redis's form (docs/resp.md "Errors"): the prefix a Redis client acts on,
 * then dist-kv's code and message. READONLY on the minority side of a split, CLUSTERDOWN without
 * a quorum, TRYAGAIN while a partition has no leader or a request timed out, BUSY under
 * backpressure, ERR for the rest.
 */
final class RespErrors {
  private RespErrors() {}

  static RespReply of(Throwable t) {
    Throwable cause = cause(t);
    if (cause instanceof DistKvException e) {
      return new RespReply.Error(prefix(e.code()), e.code() + " " + detail(e));
    }
    return new RespReply.Error("ERR", "INTERNAL " + cause);
  }

  /** What failed, without the wrappers a future's failure comes in. */
  static Throwable cause(Throwable t) {
    return io.distkv.common.concurrent.Failures.cause(t);
  }

  /** The exception's message without the "CODE: " it starts with. */
  static String detail(DistKvException e) {
    String m = e.getMessage();
    String prefix = e.code().name() + ": ";
    return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : String.valueOf(m);
  }

  static String prefix(ErrorCode code) {
    switch (code) {
      case READ_ONLY:
        return "READONLY";
      case NO_QUORUM:
      case PARTITIONED:
        return "CLUSTERDOWN";
      case NOT_LEADER:
      case TIMEOUT:
      case UNAVAILABLE:
        return "TRYAGAIN";
      case BUSY:
        return "BUSY";
      default:
        return "ERR";
    }
  }
}
