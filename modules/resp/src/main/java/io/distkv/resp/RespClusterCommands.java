package io.distkv.resp;

import io.distkv.client.DistKvClient;
import io.distkv.common.placement.Partitioner;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * Redis Cluster's view of dist-kv (docs/resp.md "Redis Cluster clients"): CLUSTER SLOTS, SHARDS,
 * NODES, INFO, KEYSLOT, MYID. With hash tags (distkv.hash-tags) keys map to partitions by Redis
 * Cluster's slots ({@link Partitioner}), so a slot range is a partition and its master is the
 * partition's leader: a cluster-aware client (redis-cli -c, Lettuce's and Jedis's cluster clients,
 * redis-py's RedisCluster, go-redis's ClusterClient) sends each key to the node that leads it,
 * saving the hop to the leader that any node would otherwise make. A node still serves every key
 * (a request for a partition it does not lead is routed to the leader, never answered MOVED), so a
 * client with a stale map is slower, not wrong. Without hash tags the commands answer as Redis
 * does when cluster support is off (KEYSLOT excepted).
 */
final class RespClusterCommands {
  /** Redis's reply when cluster support is off. */
  static final String DISABLED = "This instance has cluster support disabled (dist-kv: the cluster was created"
      + " without distkv.hash-tags, so keys do not map to Redis Cluster's slots)";

  private final DistKvClient client;
  private final String nodeId;
  /** RESP endpoints ("host:port") of the nodes that serve RESP now, by node id. */
  private final Supplier<Map<String, String>> endpoints;

  RespClusterCommands(DistKvClient client, String nodeId, Supplier<Map<String, String>> endpoints) {
    this.client = client;
    this.nodeId = nodeId;
    this.endpoints = endpoints;
  }

  void registerIn(RespCommands table) {
    table.add("CLUSTER", -2, false, this::cluster);
  }

  private CompletionStage<RespReply> cluster(RespConnection c, List<byte[]> a) {
    String sub = RespCommands.text(a.get(1)).toUpperCase(Locale.ROOT);
    if (sub.equals("KEYSLOT")) {
      if (a.size() != 3) {
        return RespCommands.done(RespReply.error("wrong number of arguments for 'cluster|keyslot' command"));
      }
      return RespCommands.done(new RespReply.Int(Partitioner.slotOf(a.get(2))));
    }
    if (a.size() != 2) {
      return RespCommands.done(RespReply.error("unknown subcommand or wrong number of arguments for '"
          + RespCommands.printable(a.get(1)) + "'. Try CLUSTER HELP."));
    }
    return switch (sub) {
      case "MYID" -> RespCommands.done(RespReply.bulk(redisId(nodeId)));
      case "SLOTS", "SHARDS", "NODES", "INFO" -> client.clusterInfo().thenApply(info -> {
        if (!info.hashTags()) {
          return RespReply.error(DISABLED);
        }
        Map<String, Node> resp = respNodes();
        List<Range> ranges = ranges(info, resp);
        return switch (sub) {
          case "SLOTS" -> slots(ranges);
          case "SHARDS" -> shards(ranges);
          case "NODES" -> RespReply.bulk(nodes(ranges, resp));
          default -> RespReply.bulk(clusterInfo(info, ranges));
        };
      });
      default -> RespCommands.done(RespReply.error("unknown subcommand '" + RespCommands.printable(a.get(1))
          + "'. Try CLUSTER SLOTS, SHARDS, NODES, INFO, KEYSLOT, MYID."));
    };
  }

  /** A node as Redis Cluster names it: 40 hex digits (SHA-1 of its dist-kv id), and its RESP endpoint. */
  record Node(String id, String redisId, String host, int port) {}

  /** A partition's slots [first, last] and its nodes, the leader (or, without one, a replica) first. */
  record Range(int partition, int first, int last, List<Node> nodes, boolean led) {}

  /** The nodes serving RESP now, by node id. */
  private Map<String, Node> respNodes() {
    Map<String, Node> out = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : endpoints.get().entrySet()) {
      String endpoint = e.getValue();
      int colon = endpoint.lastIndexOf(':');
      out.put(e.getKey(), new Node(e.getKey(), redisId(e.getKey()), endpoint.substring(0, colon),
          Integer.parseInt(endpoint.substring(colon + 1))));
    }
    return out;
  }

  /** The slot ranges of the partitions whose master (leader, else a replica) is one of {@code resp}. */
  private List<Range> ranges(ClusterInfo info, Map<String, Node> resp) {
    Partitioner partitioner = new Partitioner(info.partitionCount(), true);
    List<Range> out = new ArrayList<>();
    for (PartitionInfo p : info.partitions()) {
      List<String> order = new ArrayList<>();
      if (p.leader() != null) {
        order.add(p.leader());
      }
      p.replicas().stream().filter(r -> !r.equals(p.leader())).forEach(order::add);
      List<Node> nodes = new ArrayList<>();
      for (String id : order) {
        Node n = resp.get(id);
        if (n != null) {
          nodes.add(n);
        }
      }
      if (!nodes.isEmpty()) {
        boolean led = p.leader() != null && nodes.get(0).id().equals(p.leader());
        out.add(new Range(p.partition(), partitioner.firstSlot(p.partition()), partitioner.firstSlot(p.partition() + 1) - 1,
            nodes, led));
      }
    }
    return out;
  }

  /** CLUSTER SLOTS: [first, last, [host, port, id], ...] per range, master first. */
  private static RespReply slots(List<Range> ranges) {
    List<RespReply> out = new ArrayList<>();
    for (Range r : ranges) {
      List<RespReply> item = new ArrayList<>(List.of(new RespReply.Int(r.first()), new RespReply.Int(r.last())));
      for (Node n : r.nodes()) {
        item.add(new RespReply.Array(List.of(RespReply.bulk(n.host()), new RespReply.Int(n.port()),
            RespReply.bulk(n.redisId()))));
      }
      out.add(new RespReply.Array(item));
    }
    return new RespReply.Array(out);
  }

  /** CLUSTER SHARDS (Redis 7): one shard per range, its slots and its nodes with their roles. */
  private static RespReply shards(List<Range> ranges) {
    List<RespReply> out = new ArrayList<>();
    for (Range r : ranges) {
      List<RespReply> nodes = new ArrayList<>();
      for (int i = 0; i < r.nodes().size(); i++) {
        Node n = r.nodes().get(i);
        nodes.add(new RespReply.Map(List.of(RespReply.bulk("id"), RespReply.bulk(n.redisId()),
            RespReply.bulk("port"), new RespReply.Int(n.port()), RespReply.bulk("ip"), RespReply.bulk(n.host()),
            RespReply.bulk("endpoint"), RespReply.bulk(n.host()), RespReply.bulk("role"),
            RespReply.bulk(i == 0 ? "master" : "replica"), RespReply.bulk("replication-offset"), new RespReply.Int(0),
            RespReply.bulk("health"), RespReply.bulk("online"))));
      }
      out.add(new RespReply.Map(List.of(RespReply.bulk("slots"),
          new RespReply.Array(List.of(new RespReply.Int(r.first()), new RespReply.Int(r.last()))),
          RespReply.bulk("nodes"), new RespReply.Array(nodes))));
    }
    return new RespReply.Array(out);
  }

  /**
   * CLUSTER NODES: a line per node serving RESP, each a master of the slots of the partitions it
   * leads (Redis's format has no node that is master of some slots and replica of others, so
   * replicas are not listed there; CLUSTER SLOTS and SHARDS list them).
   */
  private String nodes(List<Range> ranges, Map<String, Node> resp) {
    Map<Node, List<Range>> byMaster = new LinkedHashMap<>();
    for (Node n : resp.values()) {
      byMaster.put(n, new ArrayList<>());
    }
    for (Range r : ranges) {
      byMaster.get(r.nodes().get(0)).add(r);
    }
    StringBuilder b = new StringBuilder();
    for (Map.Entry<Node, List<Range>> e : byMaster.entrySet()) {
      Node n = e.getKey();
      b.append(n.redisId()).append(' ').append(n.host()).append(':').append(n.port()).append('@')
          .append(n.port() + 10_000).append(' ').append(n.id().equals(nodeId) ? "myself,master" : "master")
          .append(" - 0 0 0 connected");
      int start = -1;
      int end = -2;
      for (Range r : e.getValue()) { // ranges come in slot order: adjacent ones print as one
        if (r.first() != end + 1) {
          appendSlots(b, start, end);
          start = r.first();
        }
        end = r.last();
      }
      appendSlots(b, start, end);
      b.append('\n');
    }
    return b.toString();
  }

  private static void appendSlots(StringBuilder b, int start, int end) {
    if (start >= 0) {
      b.append(' ').append(start);
      if (end > start) {
        b.append('-').append(end);
      }
    }
  }

  private String clusterInfo(ClusterInfo info, List<Range> ranges) {
    int assigned = ranges.stream().mapToInt(r -> r.last() - r.first() + 1).sum();
    int ok = ranges.stream().filter(Range::led).mapToInt(r -> r.last() - r.first() + 1).sum();
    long masters = ranges.stream().map(r -> r.nodes().get(0).id()).distinct().count();
    return "cluster_state:" + (assigned == Partitioner.SLOTS && ok == assigned ? "ok" : "fail")
        + "\r\ncluster_slots_assigned:" + assigned + "\r\ncluster_slots_ok:" + ok
        + "\r\ncluster_slots_pfail:0\r\ncluster_slots_fail:" + (assigned - ok)
        + "\r\ncluster_known_nodes:" + info.nodes().size() + "\r\ncluster_size:" + masters
        + "\r\ncluster_current_epoch:0\r\ncluster_my_epoch:0\r\n";
  }

  /** Redis Cluster's node id for dist-kv node {@code id}: the SHA-1 of its name, 40 hex digits. */
  static String redisId(String id) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(id.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-1 is missing from this JVM", e);
    }
  }
}
