package io.distkv.verify;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A recorded history: every operation of a run, in invocation order; read and written as JSON lines. */
public record History(List<Op> ops) {
  static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

  public History {
    List<Op> sorted = new ArrayList<>(ops);
    sorted.sort(Comparator.comparingLong(Op::invokeNanos));
    ops = Collections.unmodifiableList(sorted);
  }

  /** The operations on each key, in invocation order (keys in first-seen order). */
  public Map<String, List<Op>> byKey() {
    Map<String, List<Op>> out = new LinkedHashMap<>();
    for (Op op : ops) {
      out.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
    }
    return out;
  }

  public void write(Path file) {
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (Op op : ops) {
        w.write(JSON.writeValueAsString(op));
        w.newLine();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write history " + file, e);
    }
  }

  /** Reads a history file; a malformed line fails with its file and line number. */
  public static History read(Path file) {
    List<Op> ops = new ArrayList<>();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      int n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        try {
          Op op = JSON.readValue(line, Op.class);
          if (op.type() == null || op.key() == null || op.outcome() == null) {
            throw new IOException("type, key and outcome are required");
          }
          ops.add(op);
        } catch (IOException e) {
          throw new IllegalArgumentException(file + ":" + n + ": not an operation: " + e.getMessage(), e);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read history " + file, e);
    }
    return new History(ops);
  }
}
