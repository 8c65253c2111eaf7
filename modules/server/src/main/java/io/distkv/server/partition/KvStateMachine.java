package io.distkv.server.partition;

import io.distkv.common.error.ErrorCode;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.error.StorageIoException;
import io.distkv.raft.StateMachine;
import io.distkv.storage.Checkpoint;
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
  /** Query type: point read. */
  public static final byte QUERY_GET = 1;

  private final Path dir;
  private final LsmOptions options;
  private LsmStore store;
  private long applied;

  private KvStateMachine(Path dir, LsmOptions options) {
    this.dir = dir;
    this.options = options;
    this.store = LsmStore.open(dir, options);
    this.applied = Math.max(0, store.persistedAppliedIndex());
  }

  /** Opens the partition's store in {@code dir}; the WAL is turned off whatever {@code base} says. */
  public static KvStateMachine open(Path dir, LsmOptions base) {
    return new KvStateMachine(dir, base.toBuilder().walEnabled(false).build());
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
    if (sessionKey != null) {
      byte[] session = store.get(sessionKey);
      if (session != null) {
        long lastSeq = ByteBuffer.wrap(session).getLong();
        if (cmd.sequence() <= lastSeq) {
          // Nothing to apply, but the index is still consumed.
          applied = index;
          store.write(new WriteBatch().appliedIndex(index));
          return cmd.sequence() == lastSeq
              ? java.util.Arrays.copyOfRange(session, 8, session.length) // a retry: same answer, applied once
              : new KvResult(ErrorCode.INVALID_ARGUMENT, -1, ("sequence " + cmd.sequence() + " of client "
                  + cmd.clientId() + " is older than its last write " + lastSeq).getBytes(StandardCharsets.UTF_8)).encode();
        }
      }
    }
    KvResult result = execute(index, cmd);
    WriteBatch batch = new WriteBatch();
    if (result.code() == ErrorCode.OK) {
      for (KvCommand.Op op : cmd.ops()) {
        byte[] dataKey = prefixed(DATA, op.key());
        if (op.kind() == KvCommand.Kind.DELETE) {
          batch.delete(dataKey);
        } else {
          byte[] stored = ByteBuffer.allocate(8 + op.value().length).putLong(index).put(op.value()).array();
          batch.put(dataKey, stored);
        }
      }
    }
    byte[] encoded = result.encode();
    if (sessionKey != null) {
      batch.put(sessionKey, ByteBuffer.allocate(8 + encoded.length).putLong(cmd.sequence()).put(encoded).array());
    }
    store.write(batch.appliedIndex(index));
    applied = index;
    return encoded;
  }

  /** Checks every condition against the state before the command; all or nothing. */
  private KvResult execute(long index, KvCommand cmd) {
    Map<String, Boolean> seen = new HashMap<>();
    for (KvCommand.Op op : cmd.ops()) {
      if (op.kind() == KvCommand.Kind.PUT_IF_ABSENT || op.kind() == KvCommand.Kind.COMPARE_AND_SET) {
        KvResult current = lookup(op.key());
        long version = current.code() == ErrorCode.OK ? current.version() : 0;
        if (op.kind() == KvCommand.Kind.PUT_IF_ABSENT && version != 0) {
          return new KvResult(ErrorCode.ALREADY_EXISTS, version, null);
        }
        if (op.kind() == KvCommand.Kind.COMPARE_AND_SET && version != op.expectedVersion()) {
          return new KvResult(ErrorCode.CONFLICT, version, null);
        }
      }
      if (seen.put(new String(op.key(), StandardCharsets.ISO_8859_1), true) != null) {
        return new KvResult(ErrorCode.INVALID_ARGUMENT, -1,
            "a batch may write each key once".getBytes(StandardCharsets.UTF_8));
      }
    }
    return KvResult.ok(index);
  }

  /** Reads from this replica's current state (an eventual read, or after ReadIndex a linearizable one). */
  public KvResult get(byte[] key) {
    return lookup(key);
  }

  @Override
  public byte[] query(byte[] query) {
    if (query.length < 1 || query[0] != QUERY_GET) {
      throw new InvalidArgumentException("unknown partition query type " + (query.length == 0 ? "(empty)" : query[0]));
    }
    return lookup(java.util.Arrays.copyOfRange(query, 1, query.length)).encode();
  }

  public static byte[] getQuery(byte[] key) {
    byte[] q = new byte[key.length + 1];
    q[0] = QUERY_GET;
    System.arraycopy(key, 0, q, 1, key.length);
    return q;
  }

  /** Highest index whose effects are on disk (flushed): Raft replays from the next one. */
  @Override
  public long appliedIndex() {
    return Math.max(0, store.persistedAppliedIndex());
  }

  /** Highest index applied in memory. */
  public long lastApplied() {
    return applied;
  }

  /** The store's counters (for JMX). */
  public io.distkv.storage.StoreStats stats() {
    return store.stats();
  }

  /** Makes everything applied durable (flush); Raft may then compact its log up to it. */
  public void flush() {
    store.flush();
  }

  /** The whole store as bytes: an LSM checkpoint's files, packed. */
  @Override
  public byte[] snapshot() {
    Path tmp = dir.resolveSibling(dir.getFileName() + ".snapshot-" + System.nanoTime());
    try {
      Checkpoint cp = store.checkpoint(tmp);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      List<String> files = cp.files();
      out.writeInt(files.size());
      for (String f : files) {
        byte[] content = Files.readAllBytes(tmp.resolve(f));
        out.writeUTF(f);
        out.writeInt(content.length);
        out.write(content);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new StorageIoException("snapshot of " + dir + " failed: " + e.getMessage(), e);
    } finally {
      deleteTree(tmp);
    }
  }

  /** Replaces the store with a snapshot taken at {@code index} (packed checkpoint). */
  @Override
  public void restore(long index, byte[] snapshot) {
    store.close();
    deleteTree(dir);
    try {
      Files.createDirectories(dir);
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(snapshot));
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        if (name.contains("/") || name.contains("..")) {
          throw new InvalidArgumentException("snapshot holds a bad file name '" + name + "'");
        }
        byte[] content = new byte[in.readInt()];
        in.readFully(content);
        Files.write(dir.resolve(name), content);
      }
    } catch (IOException e) {
      throw new StorageIoException("restoring snapshot into " + dir + " failed: " + e.getMessage(), e);
    }
    store = LsmStore.open(dir, options);
    applied = index;
  }

  private static void deleteTree(Path p) {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(f);
      }
    } catch (IOException e) {
      throw new StorageIoException("cannot delete " + p + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    store.close();
  }
}
