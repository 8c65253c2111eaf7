package io.distkv.common.protocol;

import io.distkv.common.error.InvalidArgumentException;
import java.util.Base64;

/**
 * A scan's continuation token: the key the next page starts at, base64url without padding, so a
 * shell user can paste it back ({@code distkv scan --after TOKEN}).
 */
public final class ScanToken {
  private ScanToken() {}

  public static String encode(byte[] nextStart) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(nextStart);
  }

  public static byte[] decode(String token) {
    if (token == null || token.isEmpty()) {
      throw new InvalidArgumentException("empty scan continuation token");
    }
    try {
      return Base64.getUrlDecoder().decode(token);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("malformed scan continuation token '" + token + "': " + e.getMessage());
    }
  }
}
