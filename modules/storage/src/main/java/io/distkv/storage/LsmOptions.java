package io.distkv.storage;

import io.distkv.common.KeyLimits;
import io.distkv.common.error.InvalidArgumentException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Tuning of one {@link LsmStore}. Build with {@link #builder()}; {@code build()} rejects bad values,
 * naming every one of them.
 *
 * @param walEnabled whether writes go to a WAL first (off when the Raft log is the durable record)
 * @param syncPolicy when WAL appends are fsynced
 * @param syncInterval fsync period for {@link SyncPolicy#INTERVAL}
 * @param writeBufferBytes memtable size that triggers a switch and background flush
 * @param blockBytes target uncompressed data block size
 * @param bloomBitsPerKey bloom filter bits per key (0 disables filtering benefit)
 * @param compression data block compression
 * @param blockCacheBytes block cache capacity
 * @param l0CompactionTrigger L0 table count that starts an L0 → L1 compaction
 * @param l0SlowdownTrigger L0 table count at which each write is delayed by 1 ms
 * @param l0StopTrigger L0 table count at which writes wait for compaction
 * @param levelBaseBytes target size of L1; each deeper level is {@code levelMultiplier} times larger
 * @param levelMultiplier growth factor between levels
 * @param targetFileBytes size at which compaction output rolls to a new table
 * @param limits key and value size limits
 */
public record LsmOptions(
    boolean walEnabled,
    SyncPolicy syncPolicy,
    Duration syncInterval,
    long writeBufferBytes,
    int blockBytes,
    int bloomBitsPerKey,
    Compression compression,
    long blockCacheBytes,
    int l0CompactionTrigger,
    int l0SlowdownTrigger,
    int l0StopTrigger,
    long levelBaseBytes,
    int levelMultiplier,
    long targetFileBytes,
    KeyLimits limits) {

  public static LsmOptions defaults() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  public Builder toBuilder() {
    Builder b = new Builder();
    b.walEnabled = walEnabled;
    b.syncPolicy = syncPolicy;
    b.syncInterval = syncInterval;
    b.writeBufferBytes = writeBufferBytes;
    b.blockBytes = blockBytes;
    b.bloomBitsPerKey = bloomBitsPerKey;
    b.compression = compression;
    b.blockCacheBytes = blockCacheBytes;
    b.l0CompactionTrigger = l0CompactionTrigger;
    b.l0SlowdownTrigger = l0SlowdownTrigger;
    b.l0StopTrigger = l0StopTrigger;
    b.levelBaseBytes = levelBaseBytes;
    b.levelMultiplier = levelMultiplier;
    b.targetFileBytes = targetFileBytes;
    b.limits = limits;
    return b;
  }

  /** Mutable builder with LevelDB-like defaults. */
  public static final class Builder {
    private boolean walEnabled = true;
    private SyncPolicy syncPolicy = SyncPolicy.ALWAYS;
    private Duration syncInterval = Duration.ofMillis(100);
    private long writeBufferBytes = 4L << 20;
    private int blockBytes = 4096;
    private int bloomBitsPerKey = 10;
    private Compression compression = Compression.NONE;
    private long blockCacheBytes = 32L << 20;
    private int l0CompactionTrigger = 4;
    private int l0SlowdownTrigger = 8;
    private int l0StopTrigger = 12;
    private long levelBaseBytes = 10L << 20;
    private int levelMultiplier = 10;
    private long targetFileBytes = 2L << 20;
    private KeyLimits limits = KeyLimits.DEFAULT;

    public Builder walEnabled(boolean v) {
      walEnabled = v;
      return this;
    }

    public Builder syncPolicy(SyncPolicy v) {
      syncPolicy = v;
      return this;
    }

    public Builder syncInterval(Duration v) {
      syncInterval = v;
      return this;
    }

    public Builder writeBufferBytes(long v) {
      writeBufferBytes = v;
      return this;
    }

    public Builder blockBytes(int v) {
      blockBytes = v;
      return this;
    }

    public Builder bloomBitsPerKey(int v) {
      bloomBitsPerKey = v;
      return this;
    }

    public Builder compression(Compression v) {
      compression = v;
      return this;
    }

    public Builder blockCacheBytes(long v) {
      blockCacheBytes = v;
      return this;
    }

    public Builder l0CompactionTrigger(int v) {
      l0CompactionTrigger = v;
      return this;
    }

    public Builder l0SlowdownTrigger(int v) {
      l0SlowdownTrigger = v;
      return this;
    }

    public Builder l0StopTrigger(int v) {
      l0StopTrigger = v;
      return this;
    }

    public Builder levelBaseBytes(long v) {
      levelBaseBytes = v;
      return this;
    }

    public Builder levelMultiplier(int v) {
      levelMultiplier = v;
      return this;
    }

    public Builder targetFileBytes(long v) {
      targetFileBytes = v;
      return this;
    }

    public Builder limits(KeyLimits v) {
      limits = v;
      return this;
    }

    public LsmOptions build() {
      List<String> bad = new ArrayList<>();
      if (syncPolicy == null) {
        bad.add("syncPolicy must not be null");
      }
      if (syncInterval == null || syncInterval.isNegative() || syncInterval.isZero()) {
        bad.add("syncInterval must be positive, was " + syncInterval);
      }
      if (writeBufferBytes < 64 * 1024 || writeBufferBytes > (1L << 30)) {
        bad.add("writeBufferBytes must be 64KiB..1GiB, was " + writeBufferBytes);
      }
      if (blockBytes < 256 || blockBytes > (1 << 20)) {
        bad.add("blockBytes must be 256..1MiB, was " + blockBytes);
      }
      if (bloomBitsPerKey < 0 || bloomBitsPerKey > 64) {
        bad.add("bloomBitsPerKey must be 0..64, was " + bloomBitsPerKey);
      }
      if (compression == null) {
        bad.add("compression must not be null");
      }
      if (blockCacheBytes < 0) {
        bad.add("blockCacheBytes must be >= 0, was " + blockCacheBytes);
      }
      if (l0CompactionTrigger < 1) {
        bad.add("l0CompactionTrigger must be >= 1, was " + l0CompactionTrigger);
      }
      if (l0SlowdownTrigger < l0CompactionTrigger) {
        bad.add("l0SlowdownTrigger (" + l0SlowdownTrigger + ") must be >= l0CompactionTrigger (" + l0CompactionTrigger + ")");
      }
      if (l0StopTrigger < l0SlowdownTrigger) {
        bad.add("l0StopTrigger (" + l0StopTrigger + ") must be >= l0SlowdownTrigger (" + l0SlowdownTrigger + ")");
      }
      if (levelBaseBytes < (1 << 20)) {
        bad.add("levelBaseBytes must be >= 1MiB, was " + levelBaseBytes);
      }
      if (levelMultiplier < 2 || levelMultiplier > 100) {
        bad.add("levelMultiplier must be 2..100, was " + levelMultiplier);
      }
      if (targetFileBytes < 64 * 1024) {
        bad.add("targetFileBytes must be >= 64KiB, was " + targetFileBytes);
      }
      if (limits == null) {
        bad.add("limits must not be null");
      }
      if (!bad.isEmpty()) {
        throw new InvalidArgumentException("invalid LsmOptions: " + String.join("; ", bad));
      }
      return new LsmOptions(walEnabled, syncPolicy, syncInterval, writeBufferBytes, blockBytes, bloomBitsPerKey,
          compression, blockCacheBytes, l0CompactionTrigger, l0SlowdownTrigger, l0StopTrigger, levelBaseBytes,
          levelMultiplier, targetFileBytes, limits);
    }
  }
}
