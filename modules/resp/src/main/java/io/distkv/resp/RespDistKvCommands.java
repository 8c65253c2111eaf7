package io.distkv.resp;

import static io.distkv.resp.RespCommands.done;
import static io.distkv.resp.RespCommands.integer;
import static io.distkv.resp.RespCommands.text;

import io.distkv.client.DistKvClient;
import io.distkv.client.KeyValue;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.ClientProtocol.ClusterInfo;
import io.distkv.common.protocol.ClientProtocol.NodeInfo;
import io.distkv.common.protocol.ClientProtocol.PartitionInfo;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.ScanToken;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * dist-kv's own commands (docs/resp.md "dist-kv commands"): what Redis's string commands cannot
 * say (versions, compare-and-set on a version, key ranges, partitions and leaders) and the admin
 * commands (leader transfer, add-node, remove-node, rebalance). `scripts/distkv` is built on them.
 */
final class RespDistKvCommands {
  private final DistKvClient client;
  private final String nodeId;

  RespDistKvCommands(DistKvClient client, String nodeId) {
    this.client = client;
    this.nodeId = nodeId;
  }

  void registerIn(RespCommands table) {
    table.add("DKV.GETV", 2, false, (c, a) -> client.get(a.get(1), RespCommands.consistency(c))
        .thenApply(v -> v.<RespReply>map(x -> new RespReply.Array(List.of(new RespReply.Bulk(x.value()),
            new RespReply.Int(x.version())))).orElse(RespReply.NULL)));
    table.add("DKV.SET", 3, true, (c, a) -> client.put(a.get(1), a.get(2)).thenApply(RespReply.Int::new));
    table.add("DKV.CAS", 4, true, this::cas);
    table.add("DKV.DEL", 2, true, (c, a) -> client.delete(a.get(1)).thenApply(RespReply.Int::new));
    table.add("DKV.BATCH", -3, true, this::batch);
    table.add("DKV.SCAN", -1, false, this::scan);
    table.add("DKV.PARTITION", 2, false, (c, a) -> done(new RespReply.Int(client.partitionOf(a.get(1)))));
    table.add("DKV.LEADER", 2, false, (c, a) -> client.leaderFor(a.get(1))
        .thenApply(l -> l.<RespReply>map(RespReply::bulk).orElse(RespReply.NULL)));
    table.add("DKV.STATUS", 1, false, (c, a) -> client.clusterInfo().thenApply(this::status));
    table.add("DKV.TRANSFERLEADER", 3, true, (c, a) -> client.transferLeader(partitionArg(a.get(1)), text(a.get(2)))
        .thenApply(v -> RespReply.OK));
    table.add("DKV.ADDNODE", 2, true, (c, a) -> client.addNode(text(a.get(1))).thenApply(RespReply::bulk));
    table.add("DKV.REMOVENODE", 2, true, (c, a) -> client.removeNode(text(a.get(1))).thenApply(RespReply::bulk));
    table.add("DKV.REBALANCE", 1, true, (c, a) -> client.rebalance().thenApply(RespReply::bulk));
  }

  /** DKV.CAS key expected-version value → [applied 1|0, version]; expected 0 = only if absent. */
  private CompletionStage<RespReply> cas(RespConnection c, List<byte[]> a) {
    long expected = integer(a.get(2));
    if (expected < 0) {
      throw new RespCommands.RespArgumentException("expected version must be >= 0 (0 = the key is absent)");
    }
    CompletionStage<io.distkv.client.WriteResult> w = expected == 0 ? client.putIfAbsent(a.get(1), a.get(3))
        : client.compareAndSet(a.get(1), expected, a.get(3));
    return w.thenApply(r -> new RespReply.Array(List.of(new RespReply.Int(r.applied() ? 1 : 0), new RespReply.Int(r.version()))));
  }

  /**
   * DKV.BATCH op [op ...], each op SET key value | DEL key | SETNX key value | CAS key
   * expected-version value: applied atomically (all or none; every key in one partition) →
   * [applied 1|0, version] as DKV.CAS answers (not applied: a condition failed, nothing written).
   */
  private CompletionStage<RespReply> batch(RespConnection c, List<byte[]> a) {
    io.distkv.client.Batch batch = new io.distkv.client.Batch();
    int i = 1;
    while (i < a.size()) {
      String op = text(a.get(i)).toUpperCase(Locale.ROOT);
      int args = switch (op) {
        case "SET", "SETNX" -> 2;
        case "DEL" -> 1;
        case "CAS" -> 3;
        default -> throw new RespCommands.RespArgumentException("syntax error: unknown batch op "
            + RespCommands.printable(a.get(i)) + " (SET, DEL, SETNX, CAS)");
      };
      if (i + args >= a.size()) {
        throw new RespCommands.RespArgumentException("syntax error: batch op " + op + " needs " + args + " argument(s)");
      }
      byte[] key = a.get(i + 1);
      switch (op) {
        case "SET" -> batch.put(key, a.get(i + 2));
        case "SETNX" -> batch.putIfAbsent(key, a.get(i + 2));
        case "DEL" -> batch.delete(key);
        default -> {
          long expected = integer(a.get(i + 2));
          if (expected < 0) {
            throw new RespCommands.RespArgumentException("expected version must be >= 0 (0 = the key is absent)");
          }
          batch.compareAndSet(key, expected, a.get(i + 3));
        }
      }
      i += args + 1;
    }
    return client.batch(batch).thenApply(r -> new RespReply.Array(List.of(new RespReply.Int(r.applied() ? 1 : 0),
        new RespReply.Int(r.version()))));
  }

  /**
   * DKV.SCAN [FROM key | AFTER token] [TO key] [COUNT n]: live keys in [FROM, TO) in key order, one
   * page → [next token ("" = no more), [[key, value, version], ...]]. AFTER continues a page.
   */
  private CompletionStage<RespReply> scan(RespConnection c, List<byte[]> a) {
    byte[] from = null;
    byte[] to = null;
    int count = 100;
    for (int i = 1; i < a.size(); i += 2) {
      if (i + 1 >= a.size()) {
        return done(RespReply.error("syntax error: " + text(a.get(i)) + " needs a value"));
      }
      String opt = text(a.get(i)).toUpperCase(Locale.ROOT);
      switch (opt) {
        case "FROM" -> from = a.get(i + 1);
        case "AFTER" -> from = ScanToken.decode(text(a.get(i + 1)));
        case "TO" -> to = a.get(i + 1);
        case "COUNT" -> {
          long n = integer(a.get(i + 1));
          if (n < 1 || n > ClientProtocol.MAX_SCAN_LIMIT) {
            return done(RespReply.error("COUNT must be 1.." + ClientProtocol.MAX_SCAN_LIMIT + ", was " + n));
          }
          count = (int) n;
        }
        default -> {
          return done(RespReply.error("syntax error: unknown option " + RespCommands.printable(a.get(i))
              + " (FROM, AFTER, TO, COUNT)"));
        }
      }
    }
    Consistency consistency = RespCommands.consistency(c);
    return client.scan(from, to, count, consistency).thenApply(page -> {
      List<RespReply> entries = new ArrayList<>();
      for (KeyValue kv : page.entries()) {
        entries.add(new RespReply.Array(List.of(new RespReply.Bulk(kv.key()), new RespReply.Bulk(kv.value()),
            new RespReply.Int(kv.version()))));
      }
      return new RespReply.Array(List.of(RespReply.bulk(page.hasMore() ? page.continuation() : ""),
          new RespReply.Array(entries)));
    });
  }

  private static int partitionArg(byte[] b) {
    long p = integer(b);
    if (p < 0 || p > Integer.MAX_VALUE) {
      throw new RespCommands.RespArgumentException("no partition " + p);
    }
    return (int) p;
  }

  /** DKV.STATUS: this node, the partition count, every node and every partition as this node sees them. */
  private RespReply status(ClusterInfo info) {
    List<RespReply> nodes = new ArrayList<>();
    for (NodeInfo n : info.nodes()) {
      nodes.add(new RespReply.Map(List.of(RespReply.bulk("id"), RespReply.bulk(n.id()),
          RespReply.bulk("address"), RespReply.bulk(n.address()),
          RespReply.bulk("reachable"), new RespReply.Bool(n.reachable()),
          RespReply.bulk("replicas"), new RespReply.Int(n.replicas()),
          RespReply.bulk("leaders"), new RespReply.Int(n.leaders()))));
    }
    List<RespReply> partitions = new ArrayList<>();
    for (PartitionInfo p : info.partitions()) {
      List<RespReply> replicas = new ArrayList<>();
      p.replicas().forEach(r -> replicas.add(RespReply.bulk(r)));
      partitions.add(new RespReply.Map(List.of(RespReply.bulk("partition"), new RespReply.Int(p.partition()),
          RespReply.bulk("state"), RespReply.bulk(p.state().name()),
          RespReply.bulk("leader"), p.leader() == null ? RespReply.NULL : RespReply.bulk(p.leader()),
          RespReply.bulk("term"), new RespReply.Int(p.term()),
          RespReply.bulk("commit"), new RespReply.Int(p.commitIndex()),
          RespReply.bulk("keys"), new RespReply.Int(p.keys()),
          RespReply.bulk("replicas"), new RespReply.Array(replicas))));
    }
    long led = info.partitions().stream().filter(p -> p.leader() != null).count();
    return new RespReply.Map(List.of(RespReply.bulk("node"), RespReply.bulk(nodeId),
        RespReply.bulk("partitions"), new RespReply.Int(info.partitionCount()),
        RespReply.bulk("partitions_with_leader"), new RespReply.Int(led),
        RespReply.bulk("hash_tags"), new RespReply.Bool(info.hashTags()),
        RespReply.bulk("nodes"), new RespReply.Array(nodes),
        RespReply.bulk("partition_table"), new RespReply.Array(partitions)));
  }
}
