package io.distkv.common;

import io.distkv.common.error.InvalidArgumentException;

/**
 * Size limits on keys and values (configuration, see {@code distkv.limits}); every entry point that
 * accepts user data checks them so that a violation is reported before anything is sent or written.
 *
 * @param maxKeyBytes largest key accepted (keys are at least 1 byte)
 * @param maxValueBytes largest value accepted (values may be empty)
 */
public record KeyLimits(int maxKeyBytes, int maxValueBytes) {
  public static final int DEFAULT_MAX_KEY_BYTES = 4 * 1024;
  public static final int DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
  public static final KeyLimits DEFAULT = new KeyLimits(DEFAULT_MAX_KEY_BYTES, DEFAULT_MAX_VALUE_BYTES);

  public KeyLimits {
    if (maxKeyBytes < 1) {
      throw new InvalidArgumentException("max key size must be >= 1 byte, was " + maxKeyBytes);
    }
    if (maxValueBytes < 0) {
      throw new InvalidArgumentException("max value size must be >= 0 bytes, was " + maxValueBytes);
    }
  }

  /** Throws {@link InvalidArgumentException} naming the limit and the actual size. */
  public byte[] checkKey(byte[] key) {
    if (key == null) {
      throw new InvalidArgumentException("key must not be null");
    }
    if (key.length == 0) {
      throw new InvalidArgumentException("key must not be empty (minimum 1 byte)");
    }
    if (key.length > maxKeyBytes) {
      throw new InvalidArgumentException(
          "key is " + key.length + " bytes, larger than the limit of " + maxKeyBytes + " bytes (distkv.limits.max-key-size)");
    }
    return key;
  }

  /** Throws {@link InvalidArgumentException} naming the limit and the actual size. */
  public byte[] checkValue(byte[] value) {
    if (value == null) {
      throw new InvalidArgumentException("value must not be null");
    }
    if (value.length > maxValueBytes) {
      throw new InvalidArgumentException(
          "value is " + value.length + " bytes, larger than the limit of " + maxValueBytes + " bytes (distkv.limits.max-value-size)");
    }
    return value;
  }
}
