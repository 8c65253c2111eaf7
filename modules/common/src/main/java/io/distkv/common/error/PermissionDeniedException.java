package io.distkv.common.error;

/** The authenticated user's role may not do this (a read-write user asking for a membership change). Nothing changed. */
public class PermissionDeniedException extends DistKvException {
  public PermissionDeniedException(String message) {
    super(ErrorCode.PERMISSION_DENIED, message);
  }
}
