package io.distkv.server.cluster;

import io.distkv.common.NodeId;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementSettings;
import io.distkv.common.placement.ReplicaSet;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * What a node knows about the cluster's layout: the current {@link Placement} (which nodes should
 * hold each partition's replicas; epoch-versioned, persisted in {@code <data-dir>/placement}) and
 * every node's Artery address (the bootstrap members from the conf, plus every Pekko Cluster member
 * carrying a {@code node=<id>} role, learned as they join).
 *
 * <p>A placement is replaced only by one with a higher epoch ({@link #offer}); add-node, remove-node
 * and rebalance publish a new one, and nodes pull newer ones from each other ({@link ReplicaHost}).
 * The placement is where routers look for replicas; the replicas' Raft configurations are the
 * truth about group membership, and a router that finds no replica where the placement says
 * follows leader hints and retries.
 */
public final class NodeDirectory {
  static final String FILE = "placement";
  private static final String HEADER = "distkv-placement v1";

  private final AtomicReference<Placement> placement;
  private final Map<NodeId, String> addresses = new java.util.concurrent.ConcurrentSkipListMap<>();
  private final Path file;
  private final boolean firstBoot;

  private NodeDirectory(Placement placement, Map<NodeId, String> bootstrapAddresses, Path file, boolean firstBoot) {
    this.placement = new AtomicReference<>(placement);
    this.addresses.putAll(bootstrapAddresses);
    this.file = file;
    this.firstBoot = firstBoot;
  }

  /**
   * The directory of the node whose data is in {@code dataDir}: its persisted placement, or
   * {@code bootstrap} (written there) on the node's first start.
   *
   * @throws IllegalStateException if the persisted placement was made with other partition count
   *     or replication factor than {@code bootstrap} (fixed at cluster creation)
   */
  public static NodeDirectory open(Path dataDir, Placement bootstrap, Map<NodeId, String> bootstrapAddresses)
      throws IOException {
    Files.createDirectories(dataDir);
    Path file = dataDir.resolve(FILE);
    if (Files.exists(file)) {
      Placement persisted;
      try {
        persisted = decode(Files.readString(file, StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        throw new IOException(file + ": " + e.getMessage(), e);
      }
      if (!persisted.settings().equals(bootstrap.settings())) {
        throw new IllegalStateException(file + " was created with " + persisted.settings()
            + " but the configuration says " + bootstrap.settings()
            + "; partition count, replication factor, virtual nodes and hash tags are fixed at cluster creation");
      }
      return new NodeDirectory(persisted, bootstrapAddresses, file, false);
    }
    NodeDirectory d = new NodeDirectory(bootstrap, bootstrapAddresses, file, true);
    d.persist(bootstrap);
    return d;
  }

  /** The current placement. */
  public Placement placement() {
    return placement.get();
  }

  /** True when this node started without a persisted placement (it hosts the bootstrap placement's partitions). */
  public boolean firstBoot() {
    return firstBoot;
  }

  /** Node id → "pekko://distkv@host:port", live (grows as members join). */
  public Map<NodeId, String> addresses() {
    return addresses;
  }

  public void learnAddress(NodeId node, String address) {
    addresses.put(node, address);
  }

  /** Adopts {@code p} if its epoch is higher than the current one (persisting it); true if adopted. */
  public synchronized boolean offer(Placement p) throws IOException {
    Placement current = placement.get();
    if (p.epoch() <= current.epoch()) {
      return false;
    }
    if (!p.settings().equals(current.settings())) {
      throw new IllegalArgumentException("placement epoch " + p.epoch() + " has settings " + p.settings()
          + ", this cluster " + current.settings());
    }
    persist(p);
    placement.set(p);
    return true;
  }

  private void persist(Placement p) throws IOException {
    Path tmp = file.resolveSibling(FILE + ".tmp");
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(java.nio.ByteBuffer.wrap(encode(p).getBytes(StandardCharsets.UTF_8)));
      ch.force(true);
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      dir.force(true);
    }
  }

  /** The settings word of a cluster with hash tags: keys map to partitions by Redis Cluster's slots. */
  static final String KEY_SLOTS = "redis-slots";

  /** Text form (docs/formats.md "Placement file"): header, epoch, settings, members, one line per partition. */
  public static String encode(Placement p) {
    StringBuilder b = new StringBuilder(HEADER).append('\n');
    b.append("epoch ").append(p.epoch()).append('\n');
    PlacementSettings s = p.settings();
    b.append("settings ").append(s.partitions()).append(' ').append(s.replicationFactor()).append(' ')
        .append(s.vnodesPerNode()).append(s.hashTags() ? " " + KEY_SLOTS : "").append('\n');
    b.append("members ").append(p.members().stream().map(NodeId::value).collect(Collectors.joining(","))).append('\n');
    for (int i = 0; i < p.partitionCount(); i++) {
      b.append(i).append(' ').append(p.replicaSets().get(i).nodes().stream().map(NodeId::value)
          .collect(Collectors.joining(","))).append('\n');
    }
    return b.toString();
  }

  /** Parses {@link #encode}'s form, or throws IllegalArgumentException naming the bad line. */
  public static Placement decode(String text) {
    String[] lines = text.split("\n");
    if (lines.length < 4 || !lines[0].equals(HEADER)) {
      throw new IllegalArgumentException("not a placement file (expected '" + HEADER + "' first)");
    }
    try {
      long epoch = Long.parseLong(field(lines[1], "epoch"));
      String[] s = field(lines[2], "settings").split(" ");
      if (s.length == 4 && s[3].equals("hash-tags")) {
        throw new IllegalArgumentException("'" + lines[2] + "': written by a dist-kv whose hash tags hashed keys with"
            + " xxHash64; hash tags now map keys to partitions by Redis Cluster's slots, so this cluster's keys would"
            + " not be found: back it up with the dist-kv that made it and restore the backup into a new cluster");
      }
      if (s.length < 3 || s.length > 4 || (s.length == 4 && !s[3].equals(KEY_SLOTS))) {
        throw new IllegalArgumentException("expected 'settings P RF V [" + KEY_SLOTS + "]', got '" + lines[2] + "'");
      }
      PlacementSettings settings = new PlacementSettings(Integer.parseInt(s[0]), Integer.parseInt(s[1]),
          Integer.parseInt(s[2]), s.length == 4);
      TreeSet<NodeId> members = new TreeSet<>(ids(field(lines[3], "members")));
      if (lines.length != 4 + settings.partitions()) {
        throw new IllegalArgumentException("expected " + settings.partitions() + " partition lines, found "
            + (lines.length - 4));
      }
      List<ReplicaSet> sets = new ArrayList<>();
      for (int i = 0; i < settings.partitions(); i++) {
        String line = lines[4 + i];
        int space = line.indexOf(' ');
        if (space < 0 || Integer.parseInt(line.substring(0, space)) != i) {
          throw new IllegalArgumentException("line " + (5 + i) + ": expected partition " + i + ", got '" + line + "'");
        }
        sets.add(new ReplicaSet(ids(line.substring(space + 1))));
      }
      return new Placement(epoch, settings, members, sets);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("bad placement: " + e.getMessage(), e);
    }
  }

  private static String field(String line, String name) {
    if (!line.startsWith(name + " ")) {
      throw new IllegalArgumentException("expected '" + name + " ...', got '" + line + "'");
    }
    return line.substring(name.length() + 1);
  }

  private static List<NodeId> ids(String csv) {
    List<NodeId> out = new ArrayList<>();
    for (String id : csv.split(",")) {
      if (!id.isEmpty()) {
        out.add(NodeId.of(id));
      }
    }
    return out;
  }
}
