package io.distkv.common.error;

/**
 * The one error vocabulary of dist-kv: every layer (storage, Raft, router, client) reports failures
 * with one of these codes, and the wire protocol carries them unchanged.
 */
public enum ErrorCode {
  OK("OK", false),
  INVALID_ARGUMENT("Invalid argument", false),
  NOT_FOUND("Not found", false),
  ALREADY_EXISTS("Already exists", false),
  CONFLICT("Version conflict (compare-and-set mismatch)", false),
  TIMEOUT("Timed out", true),
  NOT_LEADER("Not the leader", true),
  NO_QUORUM("No quorum reachable", false),
  READ_ONLY("Read-only mode: no quorum, writes refused", false),
  UNAVAILABLE("Unavailable: no replica reachable", true),
  PARTITIONED("Network partition", false),
  BUSY("Busy: backpressure, retry later", true),
  SHUTTING_DOWN("Shutting down", false),
  IO_ERROR("I/O error", false),
  CORRUPTION("Data corruption detected", false),
  INTERNAL("Internal error", false),
  PERMISSION_DENIED("Permission denied: the user's role may not do this", false),
  UNAUTHENTICATED("Not authenticated: no user, or a wrong password", false);

  private final String message;
  private final boolean retryable;

  ErrorCode(String message, boolean retryable) {
    this.message = message;
    this.retryable = retryable;
  }

  /** A short human-readable description of the code. */
  public String message() {
    return message;
  }

  /** Whether a client may retry the same request unchanged (inside its deadline). */
  public boolean retryable() {
    return retryable;
  }

  /** Wire value: the ordinal is not used on the wire so that codes can be reordered safely. */
  public int wireValue() {
    return switch (this) {
      case OK -> 0;
      case INVALID_ARGUMENT -> 1;
      case NOT_FOUND -> 2;
      case ALREADY_EXISTS -> 3;
      case CONFLICT -> 4;
      case TIMEOUT -> 5;
      case NOT_LEADER -> 6;
      case NO_QUORUM -> 7;
      case READ_ONLY -> 8;
      case UNAVAILABLE -> 9;
      case PARTITIONED -> 10;
      case BUSY -> 11;
      case SHUTTING_DOWN -> 12;
      case IO_ERROR -> 13;
      case CORRUPTION -> 14;
      case INTERNAL -> 15;
      case PERMISSION_DENIED -> 16;
      case UNAUTHENTICATED -> 17;
    };
  }

  /** Inverse of {@link #wireValue()}; unknown values name themselves in the exception. */
  public static ErrorCode fromWire(int value) {
    for (ErrorCode c : values()) {
      if (c.wireValue() == value) {
        return c;
      }
    }
    throw new IllegalArgumentException("unknown error code on the wire: " + value);
  }
}
