package io.distkv.common.auth;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * A stored password: PBKDF2 with HMAC-SHA256 over a random 16-byte salt, written as
 * {@code pbkdf2-sha256$ITERATIONS$SALT$HASH} (salt and 32-byte hash in base64), so config files
 * never hold a password itself. {@code distkv hash-password} makes one.
 */
public final class PasswordHash {
  public static final String SCHEME = "pbkdf2-sha256";
  /** Iterations of new hashes: OWASP's 2023 figure for PBKDF2-HMAC-SHA256 (a check took 0.25–0.45 s here). */
  public static final int DEFAULT_ITERATIONS = 600_000;
  static final int MIN_ITERATIONS = 10_000;
  private static final int SALT_BYTES = 16;
  private static final int HASH_BYTES = 32;

  private final int iterations;
  private final byte[] salt;
  private final byte[] hash;

  private PasswordHash(int iterations, byte[] salt, byte[] hash) {
    this.iterations = iterations;
    this.salt = salt;
    this.hash = hash;
  }

  /** A new hash of {@code password} with a fresh salt. */
  public static PasswordHash of(byte[] password, int iterations) {
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException("iterations must be at least " + MIN_ITERATIONS);
    }
    byte[] salt = new byte[SALT_BYTES];
    new SecureRandom().nextBytes(salt);
    return new PasswordHash(iterations, salt, derive(password, salt, iterations));
  }

  /**
   * Parses the stored form; throws IllegalArgumentException saying what is wrong (the message
   * never repeats the value).
   */
  public static PasswordHash parse(String stored) {
    String[] parts = stored.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new IllegalArgumentException("expected " + SCHEME + "$ITERATIONS$SALT$HASH (made by distkv hash-password)");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the iteration count is not an integer");
    }
    if (iterations < MIN_ITERATIONS) {
      throw new IllegalArgumentException("the iteration count must be at least " + MIN_ITERATIONS);
    }
    byte[] salt;
    byte[] hash;
    try {
      salt = Base64.getDecoder().decode(parts[2]);
      hash = Base64.getDecoder().decode(parts[3]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the salt or the hash is not base64");
    }
    if (salt.length < 8 || hash.length != HASH_BYTES) {
      throw new IllegalArgumentException("the salt must be at least 8 bytes and the hash " + HASH_BYTES + " bytes");
    }
    return new PasswordHash(iterations, salt, hash);
  }

  /** Whether {@code password} is the one hashed (constant-time comparison). */
  public boolean matches(byte[] password) {
    return MessageDigest.isEqual(hash, derive(password, salt, iterations));
  }

  @Override
  public String toString() {
    Base64.Encoder b64 = Base64.getEncoder();
    return SCHEME + "$" + iterations + "$" + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
  }

  private static byte[] derive(byte[] password, byte[] salt, int iterations) {
    CharBuffer chars = StandardCharsets.UTF_8.decode(ByteBuffer.wrap(password));
    char[] pw = Arrays.copyOf(chars.array(), chars.limit());
    PBEKeySpec spec = new PBEKeySpec(pw, salt, iterations, HASH_BYTES * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available in this JVM", e);
    } finally {
      spec.clearPassword();
      Arrays.fill(pw, '\0');
    }
  }
}
