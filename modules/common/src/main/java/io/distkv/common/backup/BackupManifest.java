package io.distkv.common.backup;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.distkv.common.error.CorruptionException;
import io.distkv.common.io.Digests;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a backup directory holds (docs/operations.md "Backup and restore"): {@code p<N>/} with
 * partition N's checkpoint files, {@code MANIFEST.json} (this record: the cluster's partition
 * count and hash-tag setting, and per partition the Raft index its checkpoint holds and every
 * file's size and SHA-256), and {@code SHA256SUMS} (sha256sum's format: the manifest and every
 * file), written last, so a backup without it did not finish. {@code sha256sum -c SHA256SUMS}
 * checks a backup with standard tools; {@link #verify} checks it before a restore.
 */
public record BackupManifest(String format, int version, String id, String created, int partitions, boolean hashTags,
    List<PartitionBackup> entries) {
  public static final String FORMAT = "distkv-backup";
  public static final int VERSION = 1;
  public static final String FILE = "MANIFEST.json";
  public static final String SUMS = "SHA256SUMS";

  /** Partition {@code partition}'s checkpoint: it holds the log up to {@code index}; taken on {@code node}. */
  public record PartitionBackup(int partition, long index, String node, List<FileEntry> files) {}

  /** One checkpoint file: its name in {@code p<N>/}, size in bytes and SHA-256 (lower-case hex). */
  public record FileEntry(String name, long size, String sha256) {
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]*");

    /** Whether {@code name} is a plain file name a checkpoint holds (no path, not hidden). */
    public static boolean validName(String name) {
      return name != null && NAME.matcher(name).matches();
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

  /** Where partition {@code p}'s files are in backup {@code dir}. */
  public static Path partitionDir(Path dir, int p) {
    return dir.resolve("p" + p);
  }

  /**
   * Writes the manifest and then {@code SHA256SUMS} into {@code dir}, whose partition files must
   * already be there (and durable); both files are made durable before this returns.
   */
  public void write(Path dir) throws IOException {
    byte[] manifest = JSON.writeValueAsBytes(this);
    durable(dir.resolve(FILE), manifest);
    StringBuilder sums = new StringBuilder();
    sums.append(Digests.hex(Digests.sha256().digest(manifest))).append("  ").append(FILE).append('\n');
    for (PartitionBackup e : entries) {
      for (FileEntry f : e.files()) {
        sums.append(f.sha256()).append("  p").append(e.partition()).append('/').append(f.name()).append('\n');
      }
    }
    Path tmp = dir.resolve(SUMS + ".tmp");
    durable(tmp, sums.toString().getBytes(StandardCharsets.UTF_8));
    Files.move(tmp, dir.resolve(SUMS), StandardCopyOption.ATOMIC_MOVE);
    io.distkv.common.io.Dirs.syncDirectory(dir);
  }

  /**
   * The manifest of backup {@code dir} after checking all of it: {@code SHA256SUMS} is there (the
   * backup finished), the manifest matches its sum and is a version this code reads, it lists
   * every partition once, and every file it lists is there with its size and SHA-256.
   *
   * @throws CorruptionException naming the file that is missing, short, long or altered
   */
  public static BackupManifest verify(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CorruptionException("backup " + dir + " is not a directory");
    }
    Map<String, String> sums = readSums(dir);
    Path manifestFile = dir.resolve(FILE);
    byte[] bytes = read(manifestFile, "incomplete backup " + dir + ": " + FILE + " is missing");
    String manifestSum = sums.get(FILE);
    if (manifestSum == null || !manifestSum.equals(Digests.hex(Digests.sha256().digest(bytes)))) {
      throw new CorruptionException("backup " + dir + ": " + manifestFile + " does not match its SHA-256 in " + SUMS);
    }
    BackupManifest m;
    try {
      m = JSON.readValue(bytes, BackupManifest.class);
    } catch (JsonProcessingException e) {
      throw new CorruptionException("backup " + dir + ": " + manifestFile + " is not a backup manifest: "
          + e.getOriginalMessage());
    }
    m.checkShape(manifestFile);
    for (PartitionBackup e : m.entries()) {
      for (FileEntry f : e.files()) {
        Path file = partitionDir(dir, e.partition()).resolve(f.name());
        String rel = "p" + e.partition() + "/" + f.name();
        if (!f.sha256().equals(sums.get(rel))) {
          throw new CorruptionException("backup " + dir + ": " + FILE + " and " + SUMS + " disagree about " + rel);
        }
        long size;
        try {
          size = Files.size(file);
        } catch (NoSuchFileException missing) {
          throw new CorruptionException("incomplete backup " + dir + ": " + file + " is missing");
        }
        if (size != f.size()) {
          throw new CorruptionException("backup " + dir + ": " + file + " has " + size + " bytes, the manifest says "
              + f.size());
        }
        if (!Digests.sha256(file).equals(f.sha256())) {
          throw new CorruptionException("backup " + dir + ": " + file + " does not match its SHA-256 (altered or damaged)");
        }
      }
    }
    return m;
  }

  private void checkShape(Path manifestFile) {
    if (!FORMAT.equals(format) || version != VERSION) {
      throw new CorruptionException(manifestFile + " is " + format + " version " + version + "; this build reads "
          + FORMAT + " version " + VERSION);
    }
    if (partitions < 1 || entries == null || entries.size() != partitions) {
      throw new CorruptionException(manifestFile + " lists " + (entries == null ? 0 : entries.size())
          + " partitions of " + partitions);
    }
    boolean[] seen = new boolean[partitions];
    for (PartitionBackup e : entries) {
      if (e.partition() < 0 || e.partition() >= partitions || seen[e.partition()]) {
        throw new CorruptionException(manifestFile + " lists partition " + e.partition() + " twice or out of range");
      }
      seen[e.partition()] = true;
      if (e.index() < 1 || e.files() == null) {
        throw new CorruptionException(manifestFile + ": partition " + e.partition() + " has no checkpoint");
      }
      for (FileEntry f : e.files()) {
        if (!FileEntry.validName(f.name()) || f.sha256() == null || !f.sha256().matches("[0-9a-f]{64}") || f.size() < 0) {
          throw new CorruptionException(manifestFile + ": partition " + e.partition() + " lists a bad file entry " + f);
        }
      }
    }
  }

  private static Map<String, String> readSums(Path dir) throws IOException {
    byte[] bytes = read(dir.resolve(SUMS), "incomplete backup " + dir + ": " + SUMS
        + " is missing (it is written last: the backup did not finish)");
    Map<String, String> sums = new HashMap<>();
    int line = 0;
    for (String l : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
      line++;
      if (l.isEmpty()) {
        continue;
      }
      int sep = l.indexOf("  ");
      if (sep != 64 || !l.substring(0, 64).matches("[0-9a-f]{64}")) {
        throw new CorruptionException("backup " + dir + ": " + SUMS + " line " + line + " is not '<sha256>  <file>'");
      }
      sums.put(l.substring(66), l.substring(0, 64));
    }
    return sums;
  }

  private static byte[] read(Path file, String ifMissing) throws IOException {
    try {
      return Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new CorruptionException(ifMissing);
    }
  }

  /** A copy of {@code entries} in partition order. */
  public static List<PartitionBackup> sorted(List<PartitionBackup> entries) {
    List<PartitionBackup> out = new ArrayList<>(entries);
    out.sort(java.util.Comparator.comparingInt(PartitionBackup::partition));
    return out;
  }

  private static void durable(Path file, byte[] bytes) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(bytes));
      ch.force(true);
    }
  }
}
