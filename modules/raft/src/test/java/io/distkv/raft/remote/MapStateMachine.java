package io.distkv.raft.remote;

import io.distkv.raft.StateMachine;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/** "key=value" commands into a map; queries "key" (or "#count"). Volatile: replays the log on restart. */
public final class MapStateMachine implements StateMachine {
  public final Map<String, String> map = new ConcurrentSkipListMap<>();
  public volatile long applied;

  @Override
  public byte[] apply(long index, byte[] command) {
    String[] kv = new String(command, StandardCharsets.UTF_8).split("=", 2);
    map.put(kv[0], kv[1]);
    applied = index;
    return ("applied@" + index).getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public byte[] query(byte[] query) {
    String q = new String(query, StandardCharsets.UTF_8);
    String v = q.equals("#count") ? Integer.toString(map.size()) : map.get(q);
    return v == null ? null : v.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public long appliedIndex() {
    return 0; // nothing survives a restart: the whole log is replayed
  }

  /** One file, {@code map}: the entry count, then each key and value. */
  @Override
  public long checkpoint(Path dir) {
    try {
      Files.createDirectories(dir);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(map.size());
      for (Map.Entry<String, String> e : map.entrySet()) {
        out.writeUTF(e.getKey());
        out.writeUTF(e.getValue());
      }
      Files.write(dir.resolve("map"), bytes.toByteArray());
      return applied;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void restore(long index, Path dir) {
    try {
      DataInputStream in = new DataInputStream(new ByteArrayInputStream(Files.readAllBytes(dir.resolve("map"))));
      map.clear();
      int n = in.readInt();
      for (int i = 0; i < n; i++) {
        map.put(in.readUTF(), in.readUTF());
      }
      applied = index;
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
