package io.distkv.common.error;

import java.util.Optional;

/** The replica asked is not the partition's leader; carries the best known leader, if any. */
public class NotLeaderException extends DistKvException {
  private final String leaderHint;

  public NotLeaderException(String message, String leaderHint) {
    super(ErrorCode.NOT_LEADER, message + (leaderHint == null ? "" : " (leader hint: " + leaderHint + ")"));
    this.leaderHint = leaderHint;
  }

  /** The node id believed to lead the partition now, if one is known. */
  public Optional<String> leaderHint() {
    return Optional.ofNullable(leaderHint);
  }
}
