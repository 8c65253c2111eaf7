package io.distkv.storage.sstable;

/** Constants of the SSTable file format (docs/formats.md "SSTable"). */
public final class TableFormat {
  /** "distkvtb" */
  public static final long MAGIC = 0x646973746B767462L;
  /** Written by this code: 2 (multiply-shift bloom probes). Read: 1 and 2. */
  public static final int VERSION = 2;
  public static final int OLDEST_READABLE_VERSION = 1;
  /** filter handle (2×u64), index handle (2×u64), entries u64, version u32, magic u64. */
  public static final int FOOTER_SIZE = 8 * 5 + 4 + 8;
  /** Per-block trailer: compression type u8 + crc32c u32. */
  public static final int BLOCK_TRAILER = 5;
  public static final byte NO_COMPRESSION = 0;
  public static final byte LZ4 = 1;

  private TableFormat() {}
}
