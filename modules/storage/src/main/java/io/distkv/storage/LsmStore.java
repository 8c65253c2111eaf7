package io.distkv.storage;

import io.distkv.common.KeyLimits;
import io.distkv.common.error.CorruptionException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.ShuttingDownException;
import io.distkv.common.error.StorageIoException;
import io.distkv.storage.compaction.Compaction;
import io.distkv.storage.compaction.LeveledCompactionPicker;
import io.distkv.storage.internal.ByteSink;
import io.distkv.storage.internal.ByteSource;
import io.distkv.storage.internal.InternalIterator;
import io.distkv.storage.internal.InternalKey;
import io.distkv.storage.internal.LevelIterator;
import io.distkv.storage.internal.MemTable;
import io.distkv.storage.internal.MergingIterator;
import io.distkv.storage.internal.WalWriter;
import io.distkv.common.io.RecordReader;
import io.distkv.storage.sstable.BlockCache;
import io.distkv.storage.sstable.SsTableWriter;
import io.distkv.storage.version.FileMetaData;
import io.distkv.storage.version.FileNames;
import io.distkv.storage.version.Version;
import io.distkv.storage.version.VersionEdit;
import io.distkv.storage.version.VersionSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * dist-kv's LSM-tree key-value store (one per partition replica). Thread-safe.
 *
 * <p>Writes go to the WAL (group-committed: concurrent writers share one append and one fsync) and
 * a memtable; full memtables are flushed to level-0 tables by a background thread; a
 * {@link CompactionScheduler} runs leveled compactions. Reads merge the memtables and tables at a
 * sequence number. See docs/storage.md and, for file layouts, docs/formats.md.
 */
public final class LsmStore implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(LsmStore.class);
  private static final long MAX_GROUP_BYTES = 1L << 20;

  private final Path dir;
  private final LsmOptions options;
  private final KeyLimits limits;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final VersionSet versions;
  private final BlockCache blockCache;
  private final TableCache tables;
  private final LeveledCompactionPicker picker;
  private final CompactionScheduler compactions;
  private final boolean ownsScheduler;
  /** The store's own flush thread, or null when the scheduler runs flushes. */
  private final ExecutorService flusher;
  private final WriteBufferManager writeBuffers;
  private final ScheduledExecutorService syncer;

  private final ReentrantLock mutex = new ReentrantLock();
  private final Condition backgroundDone = mutex.newCondition();
  /** Run once at the next end of background work ({@link #writeRoom}); guarded by the mutex. */
  private final List<Runnable> roomWaiters = new ArrayList<>();
  /** When the first of {@link #roomWaiters} was told to wait ({@link System#nanoTime}). */
  private long roomWaitStart;
  private final ArrayDeque<Writer> writers = new ArrayDeque<>();
  private final Object fileLock = new Object();
  /** One flush at a time (the scheduler's thread, or the closing thread once the scheduler may be gone). */
  private final ReentrantLock flushLock = new ReentrantLock();
  /** Closing with a scheduler that runs flushes: flush on the closing thread (the scheduler may be gone). */
  private volatile boolean flushInline;
  /** Held by a compaction for its whole run, and by a flush while it places its table below L0. */
  private final ReentrantLock compactionLock = new ReentrantLock();
  private final Set<Long> pendingOutputs = new HashSet<>();
  private final TreeMap<Long, Integer> snapshots = new TreeMap<>();

  private volatile MemTable mem;
  private volatile MemTable imm;
  /** The WAL of {@code imm}, until the flush of {@code imm} syncs and closes it. */
  private volatile WalWriter retiredWal;
  private volatile WalWriter wal;
  /** The write leader's WAL record buffer (one leader at a time, handed over under the mutex). */
  private final ByteSink walRecord = new ByteSink(4096);
  private volatile long lastSequence;
  private volatile long appliedIndex;
  private volatile boolean closing;
  private volatile boolean closed;
  private volatile boolean compactionRunning;
  /** {@link #flushAsync()} asked for a memtable switch while a write was in progress: the next write makes it. */
  private volatile boolean switchRequested;
  private volatile Throwable backgroundError;

  private final AtomicLong userBytes = new AtomicLong();
  private final AtomicLong walBytes = new AtomicLong();
  private final AtomicLong walSyncs = new AtomicLong();
  private final AtomicLong flushes = new AtomicLong();
  private final AtomicLong bytesFlushed = new AtomicLong();
  private final AtomicLong compactionCount = new AtomicLong();
  private final AtomicLong compactionRead = new AtomicLong();
  private final AtomicLong compactionWritten = new AtomicLong();
  private final AtomicLong slowdowns = new AtomicLong();
  private final AtomicLong stalls = new AtomicLong();
  private final AtomicLong stallNanos = new AtomicLong();

  /**
   * A queued write (or, with a null batch, a forced memtable switch). {@code paced}: its caller
   * paces itself by {@link #writeRoom}, so the store's slowdown delay is skipped for it.
   */
  private final class Writer {
    final WriteBatch batch;
    final boolean paced;
    final Condition cv = mutex.newCondition();
    boolean done;
    Throwable error;

    Writer(WriteBatch batch) {
      this(batch, false);
    }

    Writer(WriteBatch batch, boolean paced) {
      this.batch = batch;
      this.paced = paced;
    }
  }

  /** What a write made now would meet ({@link #writeRoom}). */
  public enum WriteRoom {
    /** It proceeds at once. */
    NOW,
    /**
     * It proceeds, but the store asks its writers to slow down: level 0 is near its stop trigger,
     * or the node's memtable budget is exceeded. {@link #write} would delay it by 1 ms.
     */
    SLOW,
    /** It would wait for a flush or a compaction to finish (a full memtable behind a running flush, or a full level 0). */
    FULL
  }

  private LsmStore(Path dir, LsmOptions options, StoreResources shared) throws IOException {
    CompactionScheduler scheduler = shared.scheduler();
    this.dir = dir;
    this.options = options;
    this.limits = options.limits();
    Files.createDirectories(dir);
    this.lockChannel = FileChannel.open(dir.resolve(FileNames.LOCK), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock l;
    try {
      l = lockChannel.tryLock();
    } catch (OverlappingFileLockException e) {
      l = null;
    }
    if (l == null) {
      lockChannel.close();
      throw new StorageIoException("store " + dir + " is already open (its LOCK file is held)", null);
    }
    this.lock = l;
    this.versions = new VersionSet(dir);
    this.blockCache = shared.blockCache() != null ? shared.blockCache() : new BlockCache(options.blockCacheBytes());
    this.writeBuffers = shared.writeBuffers();
    this.tables = new TableCache(dir, blockCache);
    this.picker = new LeveledCompactionPicker(options.l0CompactionTrigger(), options.levelBaseBytes(), options.levelMultiplier());
    this.ownsScheduler = scheduler == null;
    this.compactions = scheduler == null ? CompactionScheduler.threadPool() : scheduler;
    this.flusher = compactions.runsFlushes() ? null : Executors.newSingleThreadExecutor(r -> daemon(r, "distkv-flush"));
    this.syncer = options.walEnabled() && options.syncPolicy() == SyncPolicy.INTERVAL
        ? Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "distkv-wal-sync"))
        : null;
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  /** Opens (creating if needed) the store in {@code dir}, recovering from its WAL and manifest. */
  public static LsmStore open(Path dir, LsmOptions options) {
    return open(dir, options, StoreResources.NONE);
  }

  /** As {@link #open(Path, LsmOptions)}, running compactions through {@code scheduler}. */
  public static LsmStore open(Path dir, LsmOptions options, CompactionScheduler scheduler) {
    return open(dir, options, new StoreResources(null, null, scheduler));
  }

  /** As {@link #open(Path, LsmOptions)}, sharing a node's cache, memtable budget and scheduler. */
  public static LsmStore open(Path dir, LsmOptions options, StoreResources shared) {
    LsmStore store;
    try {
      store = new LsmStore(dir, options, shared);
    } catch (IOException e) {
      throw new StorageIoException("cannot open store " + dir + ": " + e.getMessage(), e);
    }
    try {
      store.recover();
    } catch (IOException e) {
      store.abandon();
      throw new StorageIoException("cannot recover store " + dir + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      store.abandon();
      throw e;
    }
    if (store.writeBuffers != null) {
      store.writeBuffers.register(store);
    }
    return store;
  }

  public Path directory() {
    return dir;
  }

  public LsmOptions options() {
    return options;
  }

  // ---------------------------------------------------------------- recovery

  private void recover() throws IOException {
    boolean exists = versions.recover();
    if (!exists) {
      try (Stream<Path> files = Files.list(dir)) {
        List<String> stray = files.map(FileNames::parse)
            .filter(p -> p != null && (p.kind() == FileNames.Kind.TABLE || p.kind() == FileNames.Kind.MANIFEST))
            .map(p -> p.kind() + " " + p.number())
            .toList();
        if (!stray.isEmpty()) {
          throw new CorruptionException(dir + ": CURRENT is missing but data files exist " + stray
              + "; refusing to create a new empty store over them");
        }
      }
    }
    List<Long> logs = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.map(FileNames::parse).filter(p -> p != null).forEach(p -> {
        // A crash can leave tables or logs the manifest never heard of: never reuse their numbers.
        versions.markFileNumberUsed(p.number());
        if (p.kind() == FileNames.Kind.WAL && p.number() >= versions.logNumber()) {
          logs.add(p.number());
        }
      });
    }
    logs.sort(null);
    VersionEdit edit = new VersionEdit();
    long maxSequence = versions.lastSequence();
    long applied = versions.appliedIndex();
    MemTable replay = new MemTable(0);
    for (long number : logs) {
      Path path = dir.resolve(FileNames.wal(number));
      RecordReader.Result r = RecordReader.readAll(path);
      if (r.hasTornTail()) {
        log.warn("{}: torn tail at offset {} (a write interrupted by a crash, never acknowledged); truncating",
            path, r.tornTailOffset());
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.WRITE)) {
          ch.truncate(r.validLength());
          ch.force(true);
        }
      }
      for (byte[] rec : r.records()) {
        ByteSource in = new ByteSource(rec, path.toString());
        long seq = in.getLong();
        int batches = in.getVarint32();
        for (int i = 0; i < batches; i++) {
          WriteBatch b = WriteBatch.decodeFrom(in);
          for (WriteBatch.Op op : b.ops()) {
            replay.add(seq++, op.type(), op.key(), op.value());
          }
          if (b.appliedIndex() >= 0) {
            replay.noteAppliedIndex(b.appliedIndex());
            applied = Math.max(applied, b.appliedIndex());
          }
        }
        maxSequence = Math.max(maxSequence, seq - 1);
        if (replay.approximateBytes() >= options.writeBufferBytes()) {
          writeLevel0(replay, edit);
          replay = new MemTable(0);
        }
      }
    }
    if (!replay.isEmpty()) {
      writeLevel0(replay, edit);
    }
    long newLog = versions.newFileNumber();
    if (options.walEnabled()) {
      wal = new WalWriter(dir.resolve(FileNames.wal(newLog)));
      VersionSet.syncDirectory(dir);
    }
    edit.logNumber(newLog).lastSequence(maxSequence).appliedIndex(applied);
    synchronized (fileLock) {
      versions.logAndApply(edit);
      pendingOutputs.clear();
    }
    lastSequence = maxSequence;
    appliedIndex = applied;
    mem = new MemTable(options.walEnabled() ? newLog : 0);
    deleteObsoleteFiles();
    if (syncer != null) {
      long ms = options.syncInterval().toMillis();
      syncer.scheduleWithFixedDelay(this::backgroundSync, ms, ms, TimeUnit.MILLISECONDS);
    }
    maybeScheduleCompaction();
  }

  private void abandon() {
    if (flusher != null) {
      flusher.shutdownNow();
    }
    if (syncer != null) {
      syncer.shutdownNow();
    }
    if (ownsScheduler) {
      compactions.close();
    }
    try {
      if (retiredWal != null) {
        retiredWal.close();
      }
      if (wal != null) {
        wal.close();
      }
      versions.close();
      tables.close();
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.warn("while abandoning {}", dir, e);
    }
  }

  // ---------------------------------------------------------------- writes

  public void put(byte[] key, byte[] value) {
    write(new WriteBatch().put(key, value));
  }

  public void delete(byte[] key) {
    write(new WriteBatch().delete(key));
  }

  /** Applies {@code batch} atomically; durable on return if the WAL is on with sync ALWAYS. */
  public void write(WriteBatch batch) {
    write(batch, false);
  }

  /**
   * As {@link #write}, without the 1 ms delay a write gets while the store asks writers to slow
   * down ({@link WriteRoom#SLOW}): for a writer that paces itself by {@link #writeRoom}. It still
   * waits if the store is {@link WriteRoom#FULL}.
   */
  public void writePaced(WriteBatch batch) {
    write(batch, true);
  }

  /**
   * For a writer that must not block (a Raft replica applies on a dispatcher thread its node's
   * networking shares): what a write made now would meet. At {@link WriteRoom#FULL}, the store
   * makes sure the flush or compaction it waits for is scheduled, and {@code wake} runs once, on
   * the thread that ends the next flush or compaction (or when the store fails or closes): ask
   * again then. A {@link #writePaced} after {@code NOW} or {@code SLOW}, with no other writer in
   * between, does not wait. A store that failed or closes answers {@code NOW}: the write fails at
   * once, saying why.
   */
  public WriteRoom writeRoom(Runnable wake) {
    mutex.lock();
    try {
      if (backgroundError != null || closing) {
        return WriteRoom.NOW;
      }
      int l0 = versions.current().fileCount(0);
      boolean l0Full = l0 >= options.l0StopTrigger();
      // As makeRoomForWrite decides: room in the memtable, else a switch that need not wait.
      if (!memtableHasRoom(l0) && (imm != null || l0Full)) {
        if (l0Full) {
          maybeScheduleCompaction();
        }
        // Counted as stalls: the writer waits, on its side.
        stalls.incrementAndGet();
        if (roomWaiters.isEmpty()) {
          roomWaitStart = System.nanoTime();
        }
        roomWaiters.add(wake);
        return WriteRoom.FULL;
      }
      if (slowdownWanted(l0)) {
        slowdowns.incrementAndGet();
        return WriteRoom.SLOW;
      }
      return WriteRoom.NOW;
    } finally {
      mutex.unlock();
    }
  }

  /** With the mutex held: a flush or compaction ended, or the store failed or closes: wake every waiting writer. */
  private void signalBackgroundDone() {
    backgroundDone.signalAll();
    if (roomWaiters.isEmpty()) {
      return;
    }
    stallNanos.addAndGet(System.nanoTime() - roomWaitStart);
    List<Runnable> waiting = new ArrayList<>(roomWaiters);
    roomWaiters.clear();
    for (Runnable wake : waiting) {
      try {
        wake.run();
      } catch (RuntimeException e) {
        log.warn("a writer's wake-up failed in {}", dir, e);
      }
    }
  }

  private void write(WriteBatch batch, boolean paced) {
    checkOpen();
    for (WriteBatch.Op op : batch.ops()) {
      limits.checkKey(op.key());
      if (op.value() != null) {
        limits.checkValue(op.value());
      }
    }
    if (batch.isEmpty()) {
      return;
    }
    submit(new Writer(batch, paced));
  }

  private void submit(Writer w) {
    mutex.lock();
    try {
      writers.addLast(w);
      while (!w.done && writers.peekFirst() != w) {
        w.cv.awaitUninterruptibly();
      }
      if (w.done) {
        rethrow(w.error);
        return;
      }
      Throwable error = null;
      List<Writer> group = new ArrayList<>();
      try {
        makeRoomForWrite(w.batch == null, w.paced);
        if (w.batch == null) {
          group.add(w);
        } else {
          long bytes = 0;
          for (Writer x : writers) {
            if (x.batch == null || (!group.isEmpty() && bytes + x.batch.approximateBytes() > MAX_GROUP_BYTES)) {
              break;
            }
            group.add(x);
            bytes += x.batch.approximateBytes();
          }
          long first = lastSequence + 1;
          MemTable target = mem;
          WalWriter log = wal;
          mutex.unlock();
          try {
            long last = applyGroup(group, first, target, log);
            lastSequence = last;
          } catch (Throwable t) {
            error = t;
          } finally {
            mutex.lock();
          }
          if (error != null) {
            // The WAL may now hold a partial group: refuse further writes rather than guess.
            backgroundError = error;
          }
        }
      } catch (Throwable t) {
        error = t;
        group.clear();
        group.add(w);
      }
      for (Writer x : group) {
        Writer head = writers.pollFirst();
        assert head == x;
        x.done = true;
        x.error = error;
        if (x != w) {
          x.cv.signal();
        }
      }
      Writer next = writers.peekFirst();
      if (next != null) {
        next.cv.signal();
      }
      rethrow(error);
    } finally {
      mutex.unlock();
    }
  }

  /** Appends the group to the WAL (one record, one fsync) and inserts it; returns the last sequence. */
  private long applyGroup(List<Writer> group, long firstSeq, MemTable target, WalWriter log) throws IOException {
    if (options.walEnabled()) {
      ByteSink rec = walRecord;
      rec.reset();
      rec.putLong(0); // header space, filled in by the WAL writer
      rec.putLong(firstSeq).putVarint(group.size());
      for (Writer x : group) {
        x.batch.encodeTo(rec);
      }
      log.append(rec);
      walBytes.addAndGet(rec.size());
      if (options.syncPolicy() == SyncPolicy.ALWAYS) {
        log.sync();
        walSyncs.incrementAndGet();
      }
    }
    long seq = firstSeq;
    long maxApplied = -1;
    long inserted = 0;
    for (Writer x : group) {
      for (WriteBatch.Op op : x.batch.ops()) {
        target.add(seq++, op.type(), op.key(), op.value());
        inserted += op.key().length + (op.value() == null ? 0 : op.value().length);
      }
      maxApplied = Math.max(maxApplied, x.batch.appliedIndex());
    }
    userBytes.addAndGet(inserted);
    if (writeBuffers != null) {
      writeBuffers.inserted(inserted);
    }
    if (maxApplied >= 0) {
      target.noteAppliedIndex(maxApplied);
      if (maxApplied > appliedIndex) {
        appliedIndex = maxApplied;
      }
    }
    return seq - 1;
  }

  private static void rethrow(Throwable t) {
    if (t == null) {
      return;
    }
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error err) {
      throw err;
    }
    throw new StorageIoException("write failed: " + t.getMessage(), t);
  }

  /** With the mutex held: ensures the memtable has room, applying L0 backpressure. */
  private void makeRoomForWrite(boolean force, boolean paced) throws IOException {
    boolean forced = force; // `force` is cleared once the switch is done; `forced` remembers who asked
    boolean allowDelay = !force && !paced;
    while (true) {
      if (backgroundError != null) {
        throw new StorageIoException("store " + dir + " stopped accepting writes after a background error: "
            + backgroundError.getMessage(), backgroundError);
      }
      if (closing && !forced) {
        throw new ShuttingDownException("store " + dir + " is closing");
      }
      int l0 = versions.current().fileCount(0);
      if (allowDelay && slowdownWanted(l0)) {
        // Near the stop trigger: delay each write by 1 ms once, spreading the wait over many
        // writes instead of stopping one for seconds.
        slowdowns.incrementAndGet();
        mutex.unlock();
        try {
          LockSupport.parkNanos(1_000_000);
        } finally {
          mutex.lock();
        }
        allowDelay = false;
      } else if (!force && memtableHasRoom(l0)) {
        // Room enough. A switch flushAsync asked for waits until no flush runs and level 0 has
        // room: it never stalls this writer.
        return;
      } else if (imm != null) {
        awaitBackground();
      } else if (!forced && l0 >= options.l0StopTrigger()) {
        maybeScheduleCompaction();
        awaitBackground();
      } else {
        if ((force || switchRequested) && mem.isEmpty()) {
          switchRequested = false;
          return;
        }
        switchMemtable();
        force = false;
      }
    }
  }

  /**
   * With the mutex held, {@code l0} level-0 tables: the store asks writers to slow down (level 0
   * at its slowdown trigger, or the node's memtable budget exceeded).
   */
  private boolean slowdownWanted(int l0) {
    return l0 >= options.l0SlowdownTrigger() || (writeBuffers != null && writeBuffers.overLimit());
  }

  /**
   * With the mutex held: a write fits in the memtable. A switch flushAsync asked for waits while a
   * flush runs or level 0 is full, and does not take the room away meanwhile.
   */
  private boolean memtableHasRoom(int l0) {
    return mem.approximateBytes() < options.writeBufferBytes()
        && (!switchRequested || imm != null || l0 >= options.l0StopTrigger());
  }

  /** With the mutex held and no flush running: the memtable becomes the one to flush, and its flush is scheduled. */
  private void switchMemtable() throws IOException {
    long newLog = 0;
    if (options.walEnabled()) {
      newLog = versions.newFileNumber();
      WalWriter next = new WalWriter(dir.resolve(FileNames.wal(newLog)));
      WalWriter old = wal;
      wal = next;
      // Retired off the write path: the flush syncs (unless sync is NEVER) and closes it.
      retiredWal = old;
    }
    imm = mem;
    mem = new MemTable(newLog);
    switchRequested = false;
    if (flusher != null) {
      flusher.execute(this::flushImmutable);
    } else if (flushInline) {
      flushImmutable(); // (the mutex is reentrant)
    } else {
      compactions.flushNeeded(this);
    }
  }

  private void awaitBackground() {
    stalls.incrementAndGet();
    long t0 = System.nanoTime();
    backgroundDone.awaitUninterruptibly();
    stallNanos.addAndGet(System.nanoTime() - t0);
  }

  /** Syncs (unless the policy is NEVER) and closes the WAL a memtable switch retired. */
  private void closeRetiredWal() throws IOException {
    WalWriter old = retiredWal;
    if (old != null) {
      retiredWal = null;
      if (options.syncPolicy() != SyncPolicy.NEVER) {
        old.sync();
      }
      old.close();
    }
  }

  private void backgroundSync() {
    WalWriter w = wal;
    try {
      if (w != null) {
        w.sync();
        walSyncs.incrementAndGet();
      }
    } catch (java.nio.channels.ClosedChannelException e) {
      // switched: the old WAL was synced when it was closed
    } catch (IOException e) {
      log.error("periodic WAL sync failed in {}", dir, e);
      backgroundError = e;
    }
  }

  // ---------------------------------------------------------------- flush

  /**
   * Flushes the memtable a switch retired to a level-0 table; called by the {@link
   * CompactionScheduler} when it {@link CompactionScheduler#runsFlushes() runs flushes}, off the
   * writers' threads. Nothing to do (returns at once) if there is no such memtable.
   */
  public void runFlush() {
    flushImmutable();
  }

  /** Bytes in the memtable taking writes. */
  public long activeMemtableBytes() {
    MemTable m = mem;
    return m == null ? 0 : m.approximateBytes();
  }

  /** Bytes in the memtable being flushed (0 if none). */
  public long immutableMemtableBytes() {
    MemTable m = imm;
    return m == null ? 0 : m.approximateBytes();
  }

  /** Tables in level 0: how urgently the store needs a compaction (writes slow down, then stop, as it grows). */
  public int level0Files() {
    return versions.current().fileCount(0);
  }

  /** Whether the store is closed (a closing store still flushes its last memtable). */
  public boolean isClosed() {
    return closed;
  }

  private void flushImmutable() {
    flushLock.lock();
    try {
      flushImmutableLocked();
    } finally {
      flushLock.unlock();
    }
  }

  private void flushImmutableLocked() {
    MemTable m = imm;
    if (m == null || closed) {
      return;
    }
    try {
      closeRetiredWal();
      VersionEdit edit = new VersionEdit();
      FileMetaData table = writeTable(m);
      edit.logNumber(options.walEnabled() ? mem.walNumber() : versions.logNumber());
      edit.lastSequence(Math.max(versions.lastSequence(), lastSequence));
      edit.appliedIndex(Math.max(versions.appliedIndex(), m.maxAppliedIndex()));
      // Like LevelDB: a table that overlaps nothing in L0..Ln can go straight to Ln (n <= 2), so
      // sequential loads are not rewritten by compactions. Only when no compaction runs, so the
      // levels cannot change under the decision.
      boolean placed = table != null && compactionLock.tryLock();
      try {
        if (table != null) {
          edit.addFile(placed ? levelForFlushedTable(versions.current(), table) : 0, table);
        }
        synchronized (fileLock) {
          versions.logAndApply(edit);
          edit.added().forEach(n -> pendingOutputs.remove(n.file().number()));
        }
      } finally {
        if (placed) {
          compactionLock.unlock();
        }
      }
      flushes.incrementAndGet();
      mutex.lock();
      try {
        imm = null;
        signalBackgroundDone();
      } finally {
        mutex.unlock();
      }
      deleteObsoleteFiles();
      maybeScheduleCompaction();
    } catch (Throwable t) {
      log.error("flush failed in {}", dir, t);
      mutex.lock();
      try {
        backgroundError = t;
        signalBackgroundDone();
      } finally {
        mutex.unlock();
      }
    }
  }

  /** Writes {@code m} as a level-0 table and records it in {@code edit} (file stays pending). */
  private void writeLevel0(MemTable m, VersionEdit edit) throws IOException {
    FileMetaData table = writeTable(m);
    if (table != null) {
      edit.addFile(0, table);
    }
  }

  /** Writes {@code m} as a table (file stays pending); null if it was empty. */
  private FileMetaData writeTable(MemTable m) throws IOException {
    long number = allocateOutput();
    Path path = dir.resolve(FileNames.table(number));
    try (SsTableWriter w = newTableWriter(path); InternalIterator it = m.iterator()) {
      for (it.seekToFirst(); it.valid(); it.next()) {
        w.add(it.key(), it.value());
      }
      if (w.entries() == 0) {
        w.close();
        Files.deleteIfExists(path);
        return null;
      }
      long size = w.finish();
      bytesFlushed.addAndGet(size);
      return new FileMetaData(number, size, w.entries(), w.smallest(), w.largest());
    }
  }

  private static final int MAX_LEVEL_FOR_FLUSH = 2;

  /** The deepest level ≤ 2 such that no table in L0..that level overlaps {@code t}. */
  private static int levelForFlushedTable(Version v, FileMetaData t) {
    byte[] lo = InternalKey.userKey(t.smallest());
    byte[] hi = InternalKey.userKey(t.largest());
    if (!v.overlapping(0, lo, hi).isEmpty()) {
      return 0;
    }
    int level = 0;
    while (level < MAX_LEVEL_FOR_FLUSH && v.overlapping(level + 1, lo, hi).isEmpty()) {
      level++;
    }
    return level;
  }

  private SsTableWriter newTableWriter(Path path) throws IOException {
    return new SsTableWriter(path, options.blockBytes(), options.bloomBitsPerKey(), options.compression() == Compression.LZ4);
  }

  private long allocateOutput() {
    synchronized (fileLock) {
      long n = versions.newFileNumber();
      pendingOutputs.add(n);
      return n;
    }
  }

  /**
   * Makes every write so far part of a table (switching and flushing the memtable) and waits
   * for it; with the WAL off this is what makes writes (and the applied index) durable.
   */
  public void flush() {
    checkOpen();
    flushInternal();
  }

  /**
   * Starts making every write so far durable and returns at once: the memtable is switched and
   * flushed in the background. Nothing happens while a flush is already running or when there is
   * nothing to flush (ask again later).
   */
  public void flushAsync() {
    checkOpen();
    mutex.lock();
    try {
      if (imm != null || mem.isEmpty() || closing) {
        return;
      }
      if (writers.isEmpty()) {
        switchMemtable(); // nobody is writing: switch here (never blocks)
      } else {
        switchRequested = true; // a writer is in progress (maybe this very thread): the next write switches
      }
    } catch (IOException e) {
      throw new StorageIoException("cannot switch the memtable of " + dir + ": " + e.getMessage(), e);
    } finally {
      mutex.unlock();
    }
  }

  private void flushInternal() {
    submit(new Writer(null));
    mutex.lock();
    try {
      while (imm != null && backgroundError == null) {
        backgroundDone.awaitUninterruptibly();
      }
      if (backgroundError != null) {
        rethrow(new StorageIoException("flush failed: " + backgroundError.getMessage(), backgroundError));
      }
    } finally {
      mutex.unlock();
    }
  }

  // ---------------------------------------------------------------- reads

  /** The value of {@code key}, or null if absent or deleted. */
  public byte[] get(byte[] key) {
    return get(key, null);
  }

  /** The value of {@code key} as of {@code snapshot} (null = latest). */
  public byte[] get(byte[] key, Snapshot snapshot) {
    checkOpen();
    limits.checkKey(key);
    long seq = snapshot == null ? lastSequence : snapshot.sequence();
    MemTable m = mem;
    MemTable i = imm;
    Map.Entry<byte[], byte[]> e = m.get(key, seq);
    if (e == null && i != null) {
      e = i.get(key, seq);
    }
    if (e != null) {
      return InternalKey.type(e.getKey()) == InternalKey.TYPE_VALUE ? e.getValue() : null;
    }
    Version v = versions.refCurrent();
    try {
      byte[] seek = InternalKey.seekKey(key, seq);
      List<FileMetaData> l0 = v.files(0);
      for (int f = l0.size() - 1; f >= 0; f--) {
        FileMetaData file = l0.get(f);
        if (file.containsUserKey(key)) {
          e = tables.get(file.number()).get(seek, key);
          if (e != null) {
            return InternalKey.type(e.getKey()) == InternalKey.TYPE_VALUE ? e.getValue() : null;
          }
        }
      }
      for (int level = 1; level < Version.NUM_LEVELS; level++) {
        FileMetaData file = v.fileFor(level, key);
        if (file != null) {
          e = tables.get(file.number()).get(seek, key);
          if (e != null) {
            return InternalKey.type(e.getKey()) == InternalKey.TYPE_VALUE ? e.getValue() : null;
          }
        }
      }
      return null;
    } finally {
      v.unref();
    }
  }

  /**
   * Live keys in [start, end) (null = unbounded), ascending or descending, at most {@code limit}
   * (≤ 0 = no limit), as of {@code snapshot} (null = now). Close the iterator.
   */
  public KvIterator scan(byte[] start, byte[] end, long limit, boolean reverse, Snapshot snapshot) {
    checkOpen();
    long seq = snapshot == null ? lastSequence : snapshot.sequence();
    MemTable m = mem;
    MemTable i = imm;
    Version v = versions.refCurrent();
    List<InternalIterator> children = new ArrayList<>();
    children.add(m.iterator());
    if (i != null) {
      children.add(i.iterator());
    }
    byte[] endInclusive = null; // tables are filtered by user-key range
    for (FileMetaData f : v.files(0)) {
      if (f.overlaps(start, endInclusive)) {
        children.add(tables.get(f.number()).iterator());
      }
    }
    for (int level = 1; level < Version.NUM_LEVELS; level++) {
      if (v.fileCount(level) > 0) {
        children.add(new LevelIterator(v.files(level), n -> tables.get(n).iterator()));
      }
    }
    return new KvIterator(new MergingIterator(children), seq, start, end, limit, reverse, v::unref);
  }

  public KvIterator scan(byte[] start, byte[] end, long limit, boolean reverse) {
    return scan(start, end, limit, reverse, null);
  }

  /** A consistent view of the store as of now; close it when done. */
  public Snapshot snapshot() {
    checkOpen();
    synchronized (snapshots) {
      long seq = lastSequence;
      snapshots.merge(seq, 1, Integer::sum);
      return new Snapshot(seq, this);
    }
  }

  void releaseSnapshot(long seq) {
    synchronized (snapshots) {
      snapshots.computeIfPresent(seq, (k, n) -> n == 1 ? null : n - 1);
    }
  }

  private long smallestSnapshot() {
    synchronized (snapshots) {
      return snapshots.isEmpty() ? lastSequence : snapshots.firstKey();
    }
  }

  /** Highest applied index written (durable once flushed, or at once with the WAL on). */
  public long appliedIndex() {
    return appliedIndex;
  }

  /** Highest applied index contained in tables, i.e. durable without the WAL; -1 if none. */
  public long persistedAppliedIndex() {
    return versions.appliedIndex();
  }

  public long lastSequence() {
    return lastSequence;
  }

  // ---------------------------------------------------------------- compaction

  private void maybeScheduleCompaction() {
    if (!closing && backgroundError == null && picker.needsCompaction(versions.current())) {
      compactions.compactionNeeded(this);
    }
  }

  /**
   * Runs one compaction if the tree needs one; returns whether it did. Called by the
   * {@link CompactionScheduler} on its own thread; never by reads or writes.
   */
  public boolean runCompaction() {
    compactionLock.lock();
    try {
      if (closed || closing || backgroundError != null) {
        return false;
      }
      Compaction c = picker.pick(versions.current(), versions::compactPointer);
      if (c == null) {
        return false;
      }
      doCompaction(c);
      return true;
    } finally {
      compactionLock.unlock();
    }
  }

  /** Compacts every table overlapping [start, end] (user keys, inclusive, null = open) down the tree. */
  public void compactRange(byte[] start, byte[] end) {
    checkOpen();
    flushInternal();
    compactionLock.lock();
    try {
      Version v = versions.current();
      int last = 0;
      for (int level = 0; level < Version.NUM_LEVELS; level++) {
        if (v.fileCount(level) > 0) {
          last = level;
        }
      }
      for (int level = 0; level <= Math.max(last - 1, 0) && level < Version.NUM_LEVELS - 1; level++) {
        Version cur = versions.current();
        Compaction c = level == 0
            ? (cur.fileCount(0) == 0 ? null : picker.forRange(cur, 0, null, null))
            : picker.forRange(cur, level, start, end);
        if (c != null) {
          doCompaction(c);
        }
      }
    } finally {
      compactionLock.unlock();
    }
  }

  private void doCompaction(Compaction c) {
    compactionRunning = true;
    try {
      VersionEdit edit = new VersionEdit();
      for (FileMetaData f : c.inputs()) {
        edit.deleteFile(c.level(), f.number());
      }
      for (FileMetaData f : c.nextLevelInputs()) {
        edit.deleteFile(c.outputLevel(), f.number());
      }
      byte[] largest = null;
      for (FileMetaData f : c.inputs()) {
        if (largest == null || InternalKey.compare(f.largest(), largest) > 0) {
          largest = f.largest();
        }
      }
      edit.compactPointer(c.level(), largest);
      if (c.isTrivialMove()) {
        edit.addFile(c.outputLevel(), c.inputs().get(0));
        synchronized (fileLock) {
          versions.logAndApply(edit);
        }
      } else {
        mergeInto(c, edit);
        synchronized (fileLock) {
          versions.logAndApply(edit);
          edit.added().forEach(n -> pendingOutputs.remove(n.file().number()));
        }
        compactionRead.addAndGet(c.inputBytes());
      }
      compactionCount.incrementAndGet();
      log.debug("compacted {} ({}): {} + {} tables", dir, c.reason(), c.inputs().size(), c.nextLevelInputs().size());
      deleteObsoleteFiles();
    } catch (Throwable t) {
      log.error("compaction failed in {}", dir, t);
      backgroundError = t;
    } finally {
      compactionRunning = false;
      mutex.lock();
      try {
        signalBackgroundDone();
      } finally {
        mutex.unlock();
      }
    }
  }

  /** The disjoint tables {@code files} of one level >= 1, in key order, as one iterator. */
  private InternalIterator compactionLevelIterator(List<FileMetaData> files) {
    List<FileMetaData> sorted = new ArrayList<>(files);
    sorted.sort((a, b) -> InternalKey.compare(a.smallest(), b.smallest()));
    return new LevelIterator(sorted, n -> tables.get(n).iterator(false));
  }

  /**
   * Merges the inputs, dropping versions no snapshot can see and tombstones with nothing older
   * below them, into tables of at most ~targetFileBytes cut at user-key boundaries.
   */
  private void mergeInto(Compaction c, VersionEdit edit) throws IOException {
    Version v = versions.refCurrent();
    // L0 inputs overlap: one child each. Inputs of a level >= 1 are disjoint: one concatenating
    // child per level, so the merge has few children. Compaction reads do not fill the block cache.
    List<InternalIterator> children = new ArrayList<>();
    if (c.level() == 0) {
      for (FileMetaData f : c.inputs()) {
        children.add(tables.get(f.number()).iterator(false));
      }
    } else if (!c.inputs().isEmpty()) {
      children.add(compactionLevelIterator(c.inputs()));
    }
    if (!c.nextLevelInputs().isEmpty()) {
      children.add(compactionLevelIterator(c.nextLevelInputs()));
    }
    long smallestSnapshot = smallestSnapshot();
    SsTableWriter out = null;
    long outNumber = 0;
    byte[] currentUser = null;
    long lastSeqForKey = Long.MAX_VALUE;
    try (MergingIterator it = new MergingIterator(children)) {
      for (it.seekToFirst(); it.valid(); it.next()) {
        byte[] ikey = it.key();
        boolean newUser = currentUser == null || InternalKey.compareToUserKey(ikey, currentUser) != 0;
        if (newUser) {
          if (out != null && out.fileSize() >= options.targetFileBytes()) {
            finishOutput(out, outNumber, c.outputLevel(), edit);
            out = null;
          }
          currentUser = InternalKey.userKey(ikey);
          lastSeqForKey = Long.MAX_VALUE;
        }
        long seq = InternalKey.sequence(ikey);
        boolean drop = false;
        if (lastSeqForKey <= smallestSnapshot) {
          drop = true; // shadowed by a newer version every reader sees
        } else if (InternalKey.type(ikey) == InternalKey.TYPE_DELETION
            && seq <= smallestSnapshot
            && isBaseLevelForKey(v, c.outputLevel(), currentUser)) {
          drop = true; // nothing older below to hide
        }
        lastSeqForKey = seq;
        if (!drop) {
          if (out == null) {
            outNumber = allocateOutput();
            out = newTableWriter(dir.resolve(FileNames.table(outNumber)));
          }
          out.add(ikey, it.value());
        }
      }
      if (out != null) {
        finishOutput(out, outNumber, c.outputLevel(), edit);
        out = null;
      }
    } finally {
      if (out != null) {
        out.close();
      }
      v.unref();
    }
  }

  private void finishOutput(SsTableWriter out, long number, int level, VersionEdit edit) throws IOException {
    long size = out.finish();
    compactionWritten.addAndGet(size);
    edit.addFile(level, new FileMetaData(number, size, out.entries(), out.smallest(), out.largest()));
  }

  private static boolean isBaseLevelForKey(Version v, int outputLevel, byte[] userKey) {
    for (int level = outputLevel + 1; level < Version.NUM_LEVELS; level++) {
      if (v.fileFor(level, userKey) != null) {
        return false;
      }
    }
    return true;
  }

  /** Deletes tables no live version needs, WALs older than the manifest's log number, old manifests. */
  private void deleteObsoleteFiles() {
    synchronized (fileLock) {
      Set<Long> live = versions.liveTableNumbers();
      live.addAll(pendingOutputs);
      long logNumber = versions.logNumber();
      long manifest = versions.manifestNumber();
      MemTable i = imm;
      try (Stream<Path> files = Files.list(dir)) {
        for (Path p : (Iterable<Path>) files::iterator) {
          FileNames.Parsed f = FileNames.parse(p);
          if (f == null) {
            continue;
          }
          boolean obsolete = switch (f.kind()) {
            case TABLE -> !live.contains(f.number());
            case WAL -> f.number() < logNumber && (i == null || i.walNumber() != f.number());
            case MANIFEST -> f.number() != manifest;
            case TEMP -> true;
            default -> false;
          };
          if (obsolete) {
            if (f.kind() == FileNames.Kind.TABLE) {
              tables.evict(f.number());
            }
            Files.deleteIfExists(p);
          }
        }
      } catch (IOException e) {
        log.warn("could not delete obsolete files in {}", dir, e);
      }
    }
  }

  // ---------------------------------------------------------------- checkpoint, stats, close

  /**
   * Writes a point-in-time copy of the store into the empty or missing directory {@code target}:
   * flushes, then hard-links (or copies, across file systems) the live tables and writes a
   * manifest of its own. The copy opens with {@link #open}.
   */
  public Checkpoint checkpoint(Path target) {
    checkOpen();
    flushInternal();
    try {
      if (Files.exists(target)) {
        try (Stream<Path> s = Files.list(target)) {
          if (s.findAny().isPresent()) {
            throw new InvalidArgumentException("checkpoint target " + target + " is not empty");
          }
        }
      }
      Files.createDirectories(target);
      VersionSet.CheckpointState state;
      synchronized (fileLock) {
        state = versions.refCurrentState();
      }
      try {
        List<String> names = new ArrayList<>();
        long bytes = 0;
        for (FileMetaData f : state.version().allFiles()) {
          String name = FileNames.table(f.number());
          try {
            Files.createLink(target.resolve(name), dir.resolve(name));
          } catch (UnsupportedOperationException | IOException e) {
            Files.copy(dir.resolve(name), target.resolve(name));
          }
          names.add(name);
          bytes += f.size();
        }
        String manifest = versions.writeCheckpointManifest(target, state);
        names.add(manifest);
        names.add(FileNames.CURRENT);
        VersionSet.syncDirectory(target);
        return new Checkpoint(target, state.appliedIndex(), state.lastSequence(), List.copyOf(names), bytes);
      } finally {
        state.version().unref();
      }
    } catch (IOException e) {
      throw new StorageIoException("checkpoint of " + dir + " into " + target + " failed: " + e.getMessage(), e);
    }
  }

  public StoreStats stats() {
    Version v = versions.current();
    List<Integer> files = new ArrayList<>();
    List<Long> bytes = new ArrayList<>();
    for (int level = 0; level < Version.NUM_LEVELS; level++) {
      files.add(v.fileCount(level));
      bytes.add(v.bytes(level));
    }
    MemTable m = mem;
    MemTable i = imm;
    int liveSnapshots;
    synchronized (snapshots) {
      liveSnapshots = snapshots.values().stream().mapToInt(Integer::intValue).sum();
    }
    return new StoreStats(
        (m == null ? 0 : m.approximateBytes()) + (i == null ? 0 : i.approximateBytes()),
        i == null ? 0 : 1,
        files,
        bytes,
        lastSequence,
        appliedIndex,
        versions.appliedIndex(),
        userBytes.get(),
        walBytes.get(),
        walSyncs.get(),
        flushes.get(),
        bytesFlushed.get(),
        compactionCount.get(),
        compactionRead.get(),
        compactionWritten.get(),
        compactionRunning,
        slowdowns.get(),
        stalls.get(),
        stallNanos.get() / 1000,
        blockCache.hits(),
        blockCache.misses(),
        blockCache.weightedSize(),
        liveSnapshots);
  }

  private void checkOpen() {
    if (closing || closed) {
      throw new ShuttingDownException("store " + dir + " is closed");
    }
  }

  /** Flushes the memtable (so a WAL-less store keeps its data), stops background work, releases the lock. */
  @Override
  public void close() {
    close(true);
  }

  /**
   * Closes the store as if the process had died at this point: the memtable is not flushed and
   * the WAL not synced, so a reopen recovers what the WAL holds (with the WAL off: what was
   * flushed, and the caller replays the rest from its own log, as a partition replays Raft). For
   * crash tests (the test kit's {@code kill}); releases files and threads like {@link #close()}.
   */
  public void closeWithoutFlush() {
    close(false);
  }

  private void close(boolean flush) {
    if (closing) {
      return;
    }
    closing = true; // new calls are refused; writers stalled on backpressure are woken and refused
    mutex.lock();
    try {
      signalBackgroundDone();
    } finally {
      mutex.unlock();
    }
    try {
      if (flush && backgroundError == null) {
        if (flusher == null) {
          // The scheduler (a node's Compactor actor) may already be stopped: flush here.
          flushInline = true;
          flushImmutable();
        }
        flushInternal();
      }
    } catch (RuntimeException e) {
      log.warn("final flush of {} failed", dir, e);
    }
    compactionLock.lock();
    try {
      closed = true;
    } finally {
      compactionLock.unlock();
    }
    if (ownsScheduler) {
      compactions.close();
    }
    if (writeBuffers != null) {
      writeBuffers.unregister(this);
    }
    if (flusher != null) {
      flusher.shutdown();
    }
    if (syncer != null) {
      syncer.shutdown();
    }
    try {
      if (flusher != null) {
        flusher.awaitTermination(60, TimeUnit.SECONDS);
      }
      if (syncer != null) {
        syncer.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      closeRetiredWal();
      WalWriter w = wal;
      if (w != null) {
        if (flush) {
          w.sync();
        }
        w.close();
      }
      versions.close();
    } catch (IOException e) {
      throw new StorageIoException("closing " + dir + " failed: " + e.getMessage(), e);
    } finally {
      tables.close();
      try {
        lock.release();
        lockChannel.close();
      } catch (IOException e) {
        log.warn("releasing lock of {}", dir, e);
      }
    }
  }
}
