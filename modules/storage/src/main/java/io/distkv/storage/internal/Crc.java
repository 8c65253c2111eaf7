package io.distkv.storage.internal;

import java.util.zip.CRC32C;

/** CRC32C of byte ranges, the checksum of every record and block on disk. */
public final class Crc {
  private Crc() {}

  public static int of(byte[] b, int off, int len) {
    CRC32C c = new CRC32C();
    c.update(b, off, len);
    return (int) c.getValue();
  }
}
