package io.distkv.storage;

import java.nio.file.Path;
import java.util.List;

/**
 * A point-in-time copy of a store (hard-linked tables + its own manifest) that
 * {@link LsmStore#open} can open anywhere; what Raft streams as a snapshot.
 *
 * @param directory where it was written
 * @param appliedIndex the caller's applied index the data corresponds to
 * @param lastSequence the store sequence it was cut at
 * @param files file names in the checkpoint (tables, manifest, CURRENT)
 * @param bytes total size of the tables
 */
public record Checkpoint(Path directory, long appliedIndex, long lastSequence, List<String> files, long bytes) {}
