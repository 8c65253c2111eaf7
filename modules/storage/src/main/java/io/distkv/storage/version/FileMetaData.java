package io.distkv.storage.version;

import io.distkv.storage.internal.InternalKey;

/** One live SSTable: its number, size, entry count and internal-key range. */
public record FileMetaData(long number, long size, long entries, byte[] smallest, byte[] largest) {
  /** Whether the table's user-key range intersects [startUser, endUser] (inclusive; null = open). */
  public boolean overlaps(byte[] startUser, byte[] endUser) {
    if (endUser != null && InternalKey.compareToUserKey(smallest, endUser) > 0) {
      return false;
    }
    return startUser == null || InternalKey.compareToUserKey(largest, startUser) >= 0;
  }

  public boolean containsUserKey(byte[] userKey) {
    return overlaps(userKey, userKey);
  }
}
