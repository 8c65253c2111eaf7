package io.distkv.common.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.distkv.common.error.ErrorCode;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The requests a client (or the CLI, or another node) sends to a node's router at
 * {@value #ROUTER_PATH}, and the replies. Serialized as Jackson CBOR ({@link ClientSerializable}).
 * Layout notes in docs/formats.md "Client protocol".
 */
public final class ClientProtocol {
  private ClientProtocol() {}

  /** Where every node runs its router. */
  public static final String ROUTER_PATH = "/user/router";
  /** The ActorSystem name every node uses. */
  public static final String SYSTEM_NAME = "distkv";
  /** Most entries one scan page may ask for. */
  public static final int MAX_SCAN_LIMIT = 10_000;
  /** A scan page stops adding entries once it holds this many key + value bytes (it always holds one). */
  public static final int SCAN_PAGE_BYTES = 1 << 20;

  /** The router of the node at {@code host:port}. */
  public static String routerPath(String hostPort) {
    return "pekko://" + SYSTEM_NAME + "@" + hostPort + ROUTER_PATH;
  }

  /** Anything a router accepts (its inbox type); the router adds its own internal messages. */
  public interface RouterCommand {}

  /** A write whose ops all fall in one partition (one op, or an atomic batch). */
  public record Write(KvCommand command, ActorRef<Reply> replyTo) implements RouterCommand, ClientSerializable {}

  public record Get(byte[] key, Consistency consistency, ActorRef<Reply> replyTo)
      implements RouterCommand, ClientSerializable {}

  /**
   * Live keys in [start, end) in unsigned byte order across all partitions, at most {@code limit}.
   * {@code start} null = from the first key, {@code end} null = to the last.
   */
  public record Scan(byte[] start, byte[] end, int limit, Consistency consistency, ActorRef<ScanReply> replyTo)
      implements RouterCommand, ClientSerializable {}

  /** Nodes, partitions, leaders and partition states, as the answering node sees them now. */
  public record GetClusterInfo(ActorRef<ClusterInfo> replyTo) implements RouterCommand, ClientSerializable {}

  /** Asks partition {@code partition}'s leader to hand leadership to {@code toNode}. */
  public record TransferLeader(int partition, String toNode, ActorRef<Reply> replyTo)
      implements RouterCommand, ClientSerializable {}

  /** What {@link ChangeMembers} does. */
  public enum MembershipOp {
    /** Place replicas on a node that has joined the Pekko Cluster (it must be an Up member). */
    ADD_NODE,
    /** Move every replica off a node; afterwards it hosts nothing and can be stopped. */
    REMOVE_NODE,
    /** Bring every partition's Raft group in line with the current placement (finishes an interrupted change). */
    REBALANCE
  }

  /**
   * Changes which nodes hold replicas: computes the next placement (minimal moves, docs/placement.md),
   * publishes it, then moves replicas one at a time with Raft membership changes (add learner →
   * catch up → promote → remove the old replica). {@code node} is ignored for REBALANCE. The reply
   * comes when every move is done (OK, message = summary) or one failed (the error, with what was done).
   */
  public record ChangeMembers(MembershipOp op, String node, ActorRef<Reply> replyTo)
      implements RouterCommand, ClientSerializable {}

  /**
   * Outcome: OK with the partition's answer (which has its own code: NOT_FOUND, CONFLICT,
   * ALREADY_EXISTS) or a routing error (TIMEOUT, READ_ONLY, NO_QUORUM, INVALID_ARGUMENT, ...).
   *
   * @param servedBy the node whose replica answered (the leader, for writes and linearizable reads)
   */
  public record Reply(ErrorCode code, KvResult result, String message, String leaderHint, String servedBy)
      implements ClientSerializable {
    @JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }
  }

  /** One live key of a scan with its version (Raft index of its last write). */
  public record ScanEntry(byte[] key, long version, byte[] value) implements ClientSerializable {}

  /**
   * A scan page in key order. {@code nextStart} is where the next page starts (null = the range is
   * exhausted); {@link ScanToken} turns it into a token.
   */
  public record ScanReply(ErrorCode code, List<ScanEntry> entries, byte[] nextStart, String message)
      implements ClientSerializable {
    @JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }
  }

  /** A node as the answering router sees it. */
  public record NodeInfo(String id, String address, boolean reachable, int replicas, int leaders)
      implements ClientSerializable {}

  /** A partition's replicas and Raft state (leader's view when there is one). */
  public record PartitionInfo(int partition, List<String> replicas, String leader, long term, long commitIndex,
      PartitionState state) implements ClientSerializable {}

  public record ClusterInfo(int partitionCount, List<NodeInfo> nodes, List<PartitionInfo> partitions)
      implements ClientSerializable {}
}
