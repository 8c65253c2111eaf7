package io.distkv.storage;

/** Block compression of SSTable data blocks. */
public enum Compression {
  NONE,
  LZ4
}
