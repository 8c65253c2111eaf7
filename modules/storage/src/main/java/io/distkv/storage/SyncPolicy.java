package io.distkv.storage;

/** When WAL appends are fsynced. */
public enum SyncPolicy {
  /** fsync every write group before acknowledging it (durable against power loss). */
  ALWAYS,
  /** fsync in the background every {@link LsmOptions#syncInterval()}; a crash loses at most that window. */
  INTERVAL,
  /** leave flushing to the OS (survives a process crash, not a machine crash). */
  NEVER
}
