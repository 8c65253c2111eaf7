package io.distkv.common.error;

import java.util.Objects;

/**
 * Base of every exception the dist-kv Java API throws; carries the {@link ErrorCode} so callers can
 * switch on it, and a message that names what went wrong.
 */
public class DistKvException extends RuntimeException {
  private final ErrorCode code;

  public DistKvException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public DistKvException(ErrorCode code, String message, Throwable cause) {
    super(code.name() + ": " + message, cause);
    this.code = Objects.requireNonNull(code, "code");
    if (code == ErrorCode.OK) {
      throw new IllegalArgumentException("OK is not an error");
    }
  }

  public ErrorCode code() {
    return code;
  }

  /** Whether the same request may be retried unchanged. */
  public boolean retryable() {
    return code.retryable();
  }

  /**
   * Builds the typed exception for a code, so that a reply decoded off the wire surfaces as the same
   * exception type the server raised.
   */
  public static DistKvException of(ErrorCode code, String message, String leaderHint) {
    return switch (code) {
      case INVALID_ARGUMENT -> new InvalidArgumentException(message);
      case NOT_FOUND -> new NotFoundException(message);
      case ALREADY_EXISTS -> new AlreadyExistsException(message);
      case CONFLICT -> new ConflictException(message);
      case TIMEOUT -> new RequestTimeoutException(message);
      case NOT_LEADER -> new NotLeaderException(message, leaderHint);
      case NO_QUORUM -> new NoQuorumException(message);
      case READ_ONLY -> new ReadOnlyException(message);
      case UNAVAILABLE, PARTITIONED -> new UnavailableException(code, message);
      case BUSY -> new BusyException(message);
      case SHUTTING_DOWN -> new ShuttingDownException(message);
      case IO_ERROR -> new StorageIoException(message, null);
      case CORRUPTION -> new CorruptionException(message);
      case INTERNAL -> new InternalException(message, null);
      case PERMISSION_DENIED -> new PermissionDeniedException(message);
      case UNAUTHENTICATED -> new UnauthenticatedException(message);
      case OK -> throw new IllegalArgumentException("OK is not an error");
    };
  }
}
