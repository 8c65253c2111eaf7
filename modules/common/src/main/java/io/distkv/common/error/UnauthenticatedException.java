package io.distkv.common.error;

/** The node requires a login and the client has none, or its user name or password is wrong. */
public class UnauthenticatedException extends DistKvException {
  public UnauthenticatedException(String message) {
    super(ErrorCode.UNAUTHENTICATED, message);
  }
}
