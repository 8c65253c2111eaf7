package io.distkv.server.partition;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.StorageIoException;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.KvCommand;
import io.distkv.common.protocol.KvResult;
import io.distkv.raft.StateMachine;
import io.distkv.storage.Checkpoint;
import io.distkv.storage.KvEntry;
import io.distkv.storage.KvIterator;
import io.distkv.storage.LsmOptions;
import io.distkv.storage.LsmStore;
import io.distkv.storage.WriteBatch;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A partition's key-value state, replicated by Raft into an {@link LsmStore} whose WAL is off
 * (the Raft log is the durable record). Every write stores {@code [version u64][value]} under
 * {@code 'd' + key}, the version being the Raft index of the write; client sessions
 * ({@code 's' + clientId} → last sequence and its result) make a retried write apply once. Each
 * command's effects, session update and applied index go into one atomic LSM batch, and the LSM
 * persists the applied index with every flush, so after a crash Raft replays exactly the entries
 * after {@link #appliedIndex()}. Layouts in docs/formats.md "Partition state".
 */
public final class KvStateMachine implements StateMachine, AutoCloseable {
  static final byte DATA = 'd';
  static final byte SESSION = 's';

  private final Path dir;
  private final LsmOptions options;
  private final io.distkv.storage.StoreResources shared;
  private volatile LsmStore store;
  /**
   * Reads from other threads (a router's eventual reads, JMX) hold the read side; a restore,
   * which closes the store and opens the snapshot's in its place, holds the write side.
   */
  private final java.util.concurrent.locks.ReentrantReadWriteLock storeSwap =
      new java.util.concurrent.locks.ReentrantReadWriteLock();
  private long applied;

  /** Client sessions idle this long (by the proposing routers' clocks) are forgotten. */
  public static final Duration DEFAULT_SESSION_TTL = Duration.ofHours(1);
  /** Sessions are swept for expiry once per this many applied entries. */
  static final long SWEEP_EVERY = 4096;
  /** Index of the last session sweep (state, so every replica sweeps at the same entries). */
  static final byte[] SWEEP_KEY = {'m', 's', 'w', 'e', 'e', 'p'};
  /** The number of live data keys (u64), written in the batch of every command that changes it. */
  static final byte[] KEYS_KEY = {'m', 'k', 'e', 'y', 's'};

  private final long sessionTtlMillis;
  private long lastSweep;
  /** Live data keys as applied so far (written by the applying thread, read by any). */
  private volatile long liveKeys;

  private KvStateMachine(Path dir, LsmOptions options, Duration sessionTtl, io.distkv.storage.StoreResources shared) {
    this.dir = dir;
    this.options = options;
    this.shared = shared;
    this.sessionTtlMillis = sessionTtl.toMillis();
    if (Files.exists(restoringMarker(dir))) {
      // A restore was cut short: what is here is neither the old store nor the new one.
      try {
        emptyDirectory(dir);
        Files.delete(restoringMarker(dir));
      } catch (IOException e) {
        throw new StorageIoException("cannot clear the half-restored store " + dir + ": " + e.getMessage(), e);
      }
    }
    this.store = LsmStore.open(dir, options, shared);
    this.applied = Math.max(0, store.persistedAppliedIndex());
    this.lastSweep = readLastSweep();
    this.liveKeys = readLiveKeys();
  }

  /** Most client sessions kept decoded in memory (least recently used beyond are re-read from the store). */
  static final int MAX_CACHED_SESSIONS = 10_000;

  /**
   * Decoded sessions by client id, so a write does not read and decode its client's session
   * from the store first. Every change to a session goes into the same store batch as the write,
   * so the store and this cache agree after each apply; the sweep and a restore drop entries.
   * Used by the applying thread only.
   */
  private final Map<String, ClientSession> sessions = new java.util.LinkedHashMap<>(256, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<String, ClientSession> eldest) {
      return size() > MAX_CACHED_SESSIONS;
    }
  };

  private ClientSession session(String clientId, byte[] sessionKey) {
    ClientSession s = sessions.get(clientId);
    if (s == null) {
      s = ClientSession.decode(store.get(sessionKey));
      sessions.put(clientId, s);
    }
    return s;
  }

  /**
   * The stored key count; a store written before the count existed is counted once by a scan
   * (and the count written with the next change).
   */
  private long readLiveKeys() {
    byte[] v = store.get(KEYS_KEY);
    if (v != null) {
      return ByteBuffer.wrap(v).getLong();
    }
    long n = 0;
    try (KvIterator it = store.scan(new byte[] {DATA}, new byte[] {DATA + 1}, 0, false)) {
      while (it.hasNext()) {
        it.next();
        n++;
      }
    }
    return n;
  }

  private long readLastSweep() {
    byte[] v = store.get(SWEEP_KEY);
    return v == null ? 0 : ByteBuffer.wrap(v).getLong();
  }

  /**
   * The store's own size limits: any write a router lets through (keys ≤ 64 KiB, values ≤ 1 MiB at
   * the most generous configuration) plus this layout's prefix byte and version header, and client
   * session records. A committed command must always be storable: refusing it on one replica
   * would stop that replica, refusing it on all would stop the partition.
   */
  static final io.distkv.common.KeyLimits STORE_LIMITS = new io.distkv.common.KeyLimits(64 * 1024 + 1, 4 << 20);

  /** Opens the partition's store in {@code dir}; the WAL is turned off whatever {@code base} says. */
  public static KvStateMachine open(Path dir, LsmOptions base) {
    return open(dir, base, DEFAULT_SESSION_TTL);
  }

  /** As above, forgetting client sessions idle for longer than {@code sessionTtl}. */
  public static KvStateMachine open(Path dir, LsmOptions base, Duration sessionTtl) {
    return open(dir, base, sessionTtl, io.distkv.storage.StoreResources.NONE);
  }

  /** As above, on the node's shared block cache, memtable budget and flush/compaction scheduler. */
  public static KvStateMachine open(Path dir, LsmOptions base, io.distkv.storage.StoreResources shared) {
    return open(dir, base, DEFAULT_SESSION_TTL, shared);
  }

  private static KvStateMachine open(Path dir, LsmOptions base, Duration sessionTtl,
      io.distkv.storage.StoreResources shared) {
    return new KvStateMachine(dir, base.toBuilder().walEnabled(false).limits(STORE_LIMITS).build(), sessionTtl, shared);
  }

  static byte[] prefixed(byte prefix, byte[] key) {
    byte[] out = new byte[key.length + 1];
    out[0] = prefix;
    System.arraycopy(key, 0, out, 1, key.length);
    return out;
  }

  /** Current version and value of {@code key}, or version 0 and null. */
  private KvResult lookup(byte[] key) {
    byte[] stored = store.get(prefixed(DATA, key));
    if (stored == null) {
      return new KvResult(ErrorCode.NOT_FOUND, 0, null);
    }
    ByteBuffer b = ByteBuffer.wrap(stored);
    long version = b.getLong();
    byte[] value = new byte[stored.length - 8];
    b.get(value);
    return new KvResult(ErrorCode.OK, version, value);
  }

  @Override
  public byte[] apply(long index, byte[] command) {
    KvCommand cmd = KvCommand.decode(command);
    byte[] sessionKey = cmd.clientId().isEmpty() ? null
        : prefixed(SESSION, cmd.clientId().getBytes(StandardCharsets.UTF_8));
    ClientSession session = null;
    if (sessionKey != null) {
      session = session(cmd.clientId(), sessionKey);
      byte[] earlier = session.result(cmd.sequence());
      if (earlier != null || cmd.sequence() < session.firstUnacked()) {
        // Nothing to apply, but the index is still consumed.
        applied = index;
        store.writePaced(new WriteBatch().appliedIndex(index));
        return earlier != null
            ? earlier // a retry: the same answer, applied once
            : new KvResult(ErrorCode.INVALID_ARGUMENT, -1, ("sequence " + cmd.sequence() + " of client "
                + cmd.clientId() + " was already acknowledged (its first unacknowledged sequence is "
                + session.firstUnacked() + ")").getBytes(StandardCharsets.UTF_8)).encode();
      }
    }
    KvResult result;
    byte[][] computed = new byte[cmd.ops().size()][]; // values an op computes (INCREMENT)
    boolean[] existed = new boolean[cmd.ops().size()]; // whether each op's key was live before
    try {
      result = execute(index, cmd, computed, existed);
    } catch (InvalidArgumentException e) {
      // Routers validate before proposing; a command that still fails validation is refused
      // (the same way on every replica), never allowed to stop the replica.
      result = new KvResult(ErrorCode.INVALID_ARGUMENT, -1, e.getMessage().getBytes(StandardCharsets.UTF_8));
    }
    WriteBatch batch = new WriteBatch();
    if (result.code() == ErrorCode.OK) {
      long keys = liveKeys;
      for (int i = 0; i < cmd.ops().size(); i++) {
        KvCommand.Op op = cmd.ops().get(i);
        byte[] dataKey = prefixed(DATA, op.key());
        if (op.kind() == KvCommand.Kind.DELETE) {
          batch.delete(dataKey);
          keys -= existed[i] ? 1 : 0;
        } else {
          byte[] value = computed[i] != null ? computed[i] : op.value();
          byte[] stored = ByteBuffer.allocate(8 + value.length).putLong(index).put(value).array();
          batch.put(dataKey, stored);
          keys += existed[i] ? 0 : 1;
        }
      }
      if (keys != liveKeys) {
        batch.put(KEYS_KEY, ByteBuffer.allocate(8).putLong(keys).array());
        liveKeys = keys;
      }
    }
    byte[] encoded = result.encode();
    if (session != null) {
      session.record(cmd.sequence(), encoded, cmd.firstUnacked());
      session.touch(cmd.proposedAtMillis());
      batch.put(sessionKey, session.encode());
    }
    if (cmd.proposedAtMillis() > 0 && index - lastSweep >= SWEEP_EVERY) {
      sweepSessions(batch, cmd.proposedAtMillis(), sessionKey);
      batch.put(SWEEP_KEY, ByteBuffer.allocate(8).putLong(index).array());
      lastSweep = index;
    }
    store.writePaced(batch.appliedIndex(index));
    applied = index;
    return encoded;
  }

  /**
   * The store's {@link LsmStore#writeRoom}; applies write through {@link LsmStore#writePaced}. A
   * replica is stopped by a full store, not slowed by one near full: a pause on its thread holds
   * its reads too, and a timer's pause is a scheduler tick (10 ms), not the store's 1 ms.
   */
  @Override
  public Room applyRoom(Runnable wake) {
    return store.writeRoom(wake) == LsmStore.WriteRoom.FULL ? Room.FULL : Room.NOW;
  }

  /**
   * Deletes (in {@code batch}) every client session whose last write was proposed more than the
   * TTL before {@code now} (the clock of the entry being applied, the same on every replica). A
   * client that comes back after that has lost its dedup window: a retry of a write from before
   * would apply again (as with etcd's or LogCabin's session expiry).
   */
  private void sweepSessions(WriteBatch batch, long now, byte[] keep) {
    try (KvIterator it = store.scan(new byte[] {SESSION}, new byte[] {SESSION + 1}, 0, false)) {
      while (it.hasNext()) {
        KvEntry e = it.next();
        if (keep != null && java.util.Arrays.equals(e.key(), keep)) {
          continue;
        }
        long lastUsed = ClientSession.decode(e.value()).lastUsedMillis();
        if (lastUsed > 0 && now - lastUsed > sessionTtlMillis) {
          batch.delete(e.key());
          sessions.remove(new String(e.key(), 1, e.key().length - 1, StandardCharsets.UTF_8));
        }
      }
    }
  }

  /**
   * Checks every condition against the state before the command; all or nothing. Values an op
   * computes from the state (INCREMENT) go into {@code computed} at the op's position.
   */
  private KvResult execute(long index, KvCommand cmd, byte[][] computed, boolean[] existed) {
    Map<String, Boolean> seen = new HashMap<>();
    for (int i = 0; i < cmd.ops().size(); i++) {
      KvCommand.Op op = cmd.ops().get(i);
      if (op.key() == null || op.key().length == 0 || op.key().length > STORE_LIMITS.maxKeyBytes() - 1) {
        throw new InvalidArgumentException("a write needs a key of 1.." + (STORE_LIMITS.maxKeyBytes() - 1) + " bytes");
      }
      if (op.kind() != KvCommand.Kind.DELETE && op.kind() != KvCommand.Kind.INCREMENT
          && (op.value() == null || op.value().length > 2 << 20)) {
        throw new InvalidArgumentException("a " + op.kind() + " needs a value of at most 2 MiB");
      }
      if (op.kind() == KvCommand.Kind.INCREMENT) {
        KvResult current = lookup(op.key());
        existed[i] = current.code() == ErrorCode.OK;
        long now = 0;
        if (current.code() == ErrorCode.OK) {
          String text = new String(current.value(), StandardCharsets.US_ASCII);
          if (!text.matches("-?[0-9]{1,19}")) {
            return new KvResult(ErrorCode.INVALID_ARGUMENT, -1, NOT_AN_INTEGER);
          }
          try {
            now = Long.parseLong(text);
          } catch (NumberFormatException e) {
            return new KvResult(ErrorCode.INVALID_ARGUMENT, -1, NOT_AN_INTEGER);
          }
        }
        long sum;
        try {
          sum = Math.addExact(now, op.expectedVersion());
        } catch (ArithmeticException e) {
          return new KvResult(ErrorCode.INVALID_ARGUMENT, -1,
              "increment or decrement would overflow".getBytes(StandardCharsets.UTF_8));
        }
        computed[i] = Long.toString(sum).getBytes(StandardCharsets.US_ASCII);
      }
      if (op.kind() == KvCommand.Kind.PUT_IF_ABSENT || op.kind() == KvCommand.Kind.COMPARE_AND_SET) {
        KvResult current = lookup(op.key());
        existed[i] = current.code() == ErrorCode.OK;
        long version = existed[i] ? current.version() : 0;
        if (op.kind() == KvCommand.Kind.PUT_IF_ABSENT && version != 0) {
          return new KvResult(ErrorCode.ALREADY_EXISTS, version, null);
        }
        if (op.kind() == KvCommand.Kind.COMPARE_AND_SET && version != op.expectedVersion()) {
          return new KvResult(ErrorCode.CONFLICT, version, null);
        }
      }
      if (op.kind() == KvCommand.Kind.PUT || op.kind() == KvCommand.Kind.DELETE) {
        existed[i] = store.get(prefixed(DATA, op.key())) != null;
      }
      if (seen.put(new String(op.key(), StandardCharsets.ISO_8859_1), true) != null) {
        return new KvResult(ErrorCode.INVALID_ARGUMENT, -1,
            "a batch may write each key once".getBytes(StandardCharsets.UTF_8));
      }
    }
    // A single increment answers with the sum; a single delete with whether the key was there.
    if (cmd.ops().size() == 1 && computed[0] != null) {
      return new KvResult(ErrorCode.OK, index, computed[0]);
    }
    if (cmd.ops().size() == 1 && cmd.ops().get(0).kind() == KvCommand.Kind.DELETE) {
      return new KvResult(ErrorCode.OK, index, existed[0] ? EXISTED : ABSENT);
    }
    return KvResult.ok(index);
  }

  private static final byte[] EXISTED = {1};
  private static final byte[] ABSENT = {0};
  private static final byte[] NOT_AN_INTEGER = "value is not an integer or out of range".getBytes(StandardCharsets.UTF_8);

  /**
   * Reads from this replica's current state (an eventual read, or after ReadIndex a linearizable
   * one); safe from any thread, also while a snapshot is being installed.
   */
  public KvResult get(byte[] key) {
    storeSwap.readLock().lock();
    try {
      return lookup(key);
    } finally {
      storeSwap.readLock().unlock();
    }
  }

  /**
   * Live keys in [start, end) (null = unbounded) of this replica's current state, at most
   * {@code limit}, stopping early (more = true) once {@link ClientProtocol#SCAN_PAGE_BYTES} of keys
   * and values are collected.
   */
  public ClientProtocol.ScanPart scan(byte[] start, byte[] end, int limit) {
    storeSwap.readLock().lock();
    try {
      return scanLocked(start, end, limit);
    } finally {
      storeSwap.readLock().unlock();
    }
  }

  private ClientProtocol.ScanPart scanLocked(byte[] start, byte[] end, int limit) {
    byte[] from = prefixed(DATA, start == null ? new byte[0] : start);
    byte[] to = end == null ? new byte[] {DATA + 1} : prefixed(DATA, end);
    List<ClientProtocol.ScanEntry> out = new ArrayList<>();
    long bytes = 0;
    try (KvIterator it = store.scan(from, to, limit + 1L, false)) {
      while (it.hasNext()) {
        if (out.size() == limit || bytes >= ClientProtocol.SCAN_PAGE_BYTES) {
          return new ClientProtocol.ScanPart(out, true);
        }
        KvEntry e = it.next();
        byte[] stored = e.value();
        byte[] key = java.util.Arrays.copyOfRange(e.key(), 1, e.key().length);
        byte[] value = java.util.Arrays.copyOfRange(stored, 8, stored.length);
        out.add(new ClientProtocol.ScanEntry(key, ByteBuffer.wrap(stored).getLong(), value));
        bytes += key.length + value.length;
      }
    }
    return new ClientProtocol.ScanPart(out, false);
  }

  /** A replica's answer to a scan query, decoded. */
  public static ClientProtocol.ScanPart decodeScanPart(byte[] data) {
    return PartitionQuery.decodeScan(data);
  }

  /** The query that takes backup {@code id}'s checkpoint; its answer is the index it holds (u64). */
  public static byte[] checkpointQuery(String id) {
    return PartitionQuery.encode(new PartitionQuery.Checkpoint(id));
  }

  /** The query bytes of a point read. */
  public static byte[] getQuery(byte[] key) {
    return PartitionQuery.encode(new PartitionQuery.Get(key));
  }

  /** The query bytes of a scan of one partition. */
  public static byte[] scanQuery(byte[] start, byte[] end, int limit) {
    return PartitionQuery.encode(new PartitionQuery.Scan(start, end, limit));
  }

  /** A backup's checkpoint (a memtable flush and hard links). */
  @Override
  public boolean queryDoesDiskWork(byte[] query) {
    return query.length > 0 && query[0] == PartitionQuery.CHECKPOINT;
  }

  @Override
  public byte[] query(byte[] query) {
    PartitionQuery q = PartitionQuery.decode(query);
    if (q instanceof PartitionQuery.Get g) {
      return lookup(g.key()).encode();
    }
    if (q instanceof PartitionQuery.Checkpoint c) {
      return ByteBuffer.allocate(8).putLong(backupCheckpoint(c.backupId())).array();
    }
    PartitionQuery.Scan sc = (PartitionQuery.Scan) q;
    return PartitionQuery.encodeScan(scan(sc.start(), sc.end(), sc.limit()));
  }

  /** Highest index whose effects are on disk (flushed): Raft replays from the next one. */
  @Override
  public long appliedIndex() {
    return Math.max(0, store.persistedAppliedIndex());
  }

  /** Live data keys as applied so far (a client's DBSIZE without a scan; INFO keyspace). */
  @Override
  public long liveKeys() {
    return liveKeys;
  }

  /** Highest index applied in memory. */
  public long lastApplied() {
    return applied;
  }

  /** The store's counters (for JMX). */
  public io.distkv.storage.StoreStats stats() {
    storeSwap.readLock().lock();
    try {
      return store.stats();
    } finally {
      storeSwap.readLock().unlock();
    }
  }

  /** Makes everything applied durable (flush); Raft may then compact its log up to it. */
  public void flush() {
    store.flush();
  }

  /** Starts a flush in the background (the Raft log has grown past its compaction threshold). */
  @Override
  public void persistSoon() {
    store.flushAsync();
  }

  /** The directory under a node's data directory where backups' checkpoints are taken. */
  public static final String BACKUPS = "backups";

  /** Where backup {@code id}'s checkpoint of the store in {@code storeDir} ({@code <data-dir>/partitions/p<N>}) goes. */
  public static Path backupCheckpointDir(Path storeDir, String id) {
    return storeDir.getParent().resolveSibling(BACKUPS).resolve(id).resolve(storeDir.getFileName());
  }

  /**
   * Backup {@code id}'s checkpoint of this store (a query, run on the leader after ReadIndex):
   * taken again from scratch if an earlier attempt left one. Returns the index it holds.
   */
  private long backupCheckpoint(String id) {
    Path target = backupCheckpointDir(dir, id);
    try {
      io.distkv.common.io.Dirs.deleteTree(target);
    } catch (IOException e) {
      throw new StorageIoException("cannot clear the earlier checkpoint " + target + ": " + e.getMessage(), e);
    }
    return checkpoint(target);
  }

  /**
   * An LSM checkpoint into {@code target}: the memtable is flushed, then the tables are
   * hard-linked (they never change) beside a manifest of their own. Returns the applied index it
   * holds, which is everything applied so far.
   */
  @Override
  public long checkpoint(Path target) {
    Checkpoint cp = store.checkpoint(target);
    if (cp.appliedIndex() != applied) {
      throw new IllegalStateException("checkpoint of " + dir + " holds index " + cp.appliedIndex() + ", not the applied "
          + applied);
    }
    return cp.appliedIndex();
  }

  /**
   * Replaces the store with the checkpoint in {@code source} (taken at {@code index}): the old
   * store's files are deleted and the checkpoint's hard-linked in, CURRENT last. {@code source}
   * stays whole, and a marker beside the store ({@link #restoringMarker}) is there until the new
   * store is complete: a crash in between reopens as an empty store (applied 0), and the replica
   * restores again from the snapshot files it kept.
   */
  @Override
  public void restore(long index, Path source) {
    storeSwap.writeLock().lock();
    try {
      restoreLocked(index, source);
    } finally {
      storeSwap.writeLock().unlock();
    }
  }

  private void restoreLocked(long index, Path source) {
    store.close();
    Path marker = restoringMarker(dir);
    try {
      Files.write(marker, new byte[0]);
      syncDirectory(dir.getParent());
      emptyDirectory(dir);
      List<Path> files;
      try (Stream<Path> s = Files.list(source)) {
        files = s.sorted(Comparator.comparing((Path p) -> p.getFileName().toString().equals("CURRENT"))).toList();
      }
      for (Path f : files) {
        Path to = dir.resolve(f.getFileName().toString());
        try {
          Files.createLink(to, f);
        } catch (UnsupportedOperationException e) {
          Files.copy(f, to);
        }
      }
      syncDirectory(dir);
      Files.delete(marker);
      syncDirectory(dir.getParent());
    } catch (IOException e) {
      throw new StorageIoException("restoring snapshot " + source + " into " + dir + " failed: " + e.getMessage(), e);
    }
    store = LsmStore.open(dir, options, shared);
    if (store.persistedAppliedIndex() != index) {
      throw new StorageIoException("snapshot " + source + " holds applied index " + store.persistedAppliedIndex()
          + ", not " + index, null);
    }
    sessions.clear();
    applied = index;
    lastSweep = readLastSweep();
    liveKeys = readLiveKeys();
  }

  /** Present while a restore replaces the store in {@code dir}: the store there is not whole. */
  static Path restoringMarker(Path dir) {
    return dir.resolveSibling(dir.getFileName() + ".restoring");
  }

  private static void emptyDirectory(Path d) throws IOException {
    Files.createDirectories(d);
    try (Stream<Path> s = Files.list(d)) {
      for (Path p : s.toList()) {
        deleteTree(p);
      }
    }
  }

  private static void syncDirectory(Path d) {
    io.distkv.common.io.Dirs.syncDirectory(d);
  }

  private static void deleteTree(Path p) {
    try {
      io.distkv.common.io.Dirs.deleteTree(p);
    } catch (IOException e) {
      throw new StorageIoException("cannot delete " + p + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    store.close();
  }

  /** Closes without flushing, as a crash would leave it: a reopen resumes from {@link #appliedIndex()}. */
  public void closeWithoutFlush() {
    store.closeWithoutFlush();
  }
}
