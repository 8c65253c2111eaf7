package io.distkv.raft.snapshot;

import io.distkv.common.io.Dirs;
import io.distkv.raft.core.SnapshotMeta;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * A replica's snapshot directories, under its own root,
 * each holding the state machine's files in {@code files/} and the {@link SnapshotManifest} beside:
 * <ul>
 *   <li>{@code out/<index>-<term>/}: checkpoints this replica made to send, each with its
 *       {@link SnapshotManifest}; reused for any follower while the log still continues from them,
 *       deleted once the log is compacted past them and no transfer uses them;</li>
 *   <li>{@code in/<index>-<term>/}: the one snapshot being received (kept across restarts so a
 *       transfer resumes), marked complete once verified, then taken over by the state machine.</li>
 * </ul>
 * Layout in docs/formats.md "Snapshot directories".
 */
public final class SnapshotDirs {
  private final Path root;

  public SnapshotDirs(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  private static String name(SnapshotMeta meta) {
    return meta.index() + "-" + meta.term();
  }

  /** Where a snapshot directory keeps the state machine's files (its manifest and marker sit beside). */
  public static Path files(Path snapshotDir) {
    return snapshotDir.resolve("files");
  }

  public Path staging(SnapshotMeta meta) {
    return root.resolve("in").resolve(name(meta));
  }

  /** The received snapshot at {@code meta}, complete and verified, or null. */
  public Path completed(SnapshotMeta meta) {
    Path p = staging(meta);
    return Files.exists(p.resolve(SnapshotReceiver.COMPLETE)) ? p : null;
  }

  /** Deletes everything being received. */
  public void clearStaging() throws IOException {
    deleteTree(root.resolve("in"));
  }

  /** Where a new outgoing checkpoint at {@code meta} goes (does not exist yet). */
  public Path outgoing(SnapshotMeta meta) {
    return root.resolve("out").resolve(name(meta));
  }

  /** A checkpoint on disk, made to be sent. */
  public record Outgoing(Path dir, SnapshotManifest manifest) {}

  /** Outgoing checkpoints with a manifest, newest first. Directories without one are unfinished: deleted. */
  public List<Outgoing> outgoing() throws IOException {
    Path out = root.resolve("out");
    List<Outgoing> found = new ArrayList<>();
    if (!Files.isDirectory(out)) {
      return found;
    }
    try (Stream<Path> s = Files.list(out)) {
      for (Path d : s.toList()) {
        SnapshotManifest m = SnapshotManifest.readFrom(d);
        if (m == null) {
          deleteTree(d);
        } else {
          found.add(new Outgoing(d, m));
        }
      }
    }
    found.sort(Comparator.comparingLong((Outgoing o) -> o.manifest().meta().index()).reversed());
    return found;
  }

  public static void deleteTree(Path p) throws IOException {
    Dirs.deleteTree(p);
  }

  static void syncDirectory(Path dir) {
    Dirs.syncDirectory(dir);
  }
}
