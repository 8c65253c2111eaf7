package io.distkv.common.protocol;

import com.fasterxml.jackson.annotation.JsonIgnore;
import io.distkv.common.error.ErrorCode;
import java.util.List;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The requests a client (or the CLI, or another node) sends to a node's router at
 * {@value #ROUTER_PATH}, and the replies (docs/server.md "The request pipeline"). Serialized as Jackson CBOR ({@link ClientSerializable}).
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

  /**
   * A request about keys of one partition, sent to the router of the node that leads it (the
   * client's leader cache). The router validates it and hands it to its own replica of the
   * partition; the replica answers straight to {@code replyTo}, the client connection's one
   * stable inbox, with a {@link Reply} carrying the same {@code id} (replies to one inbox that
   * leave together travel as one {@link Replies}). Nothing on the node retries: a node that does
   * not lead the partition answers NOT_LEADER with a hint, and the client, which owns the
   * deadline, tries again. {@code timeoutMillis} is what is left of the client's deadline when
   * it sends; the node drops the request unanswered (TIMEOUT) once that has passed.
   * {@code traced}: the node stamps the request's stages ({@link Trace}) and returns them.
   */
  public sealed interface KeyRequest extends RouterCommand, ClientSerializable {
    long id();

    int timeoutMillis();

    boolean traced();

    ActorRef<Replies> replyTo();
  }

  /** A write whose ops all fall in one partition (one op, or an atomic batch). */
  public record Write(long id, int timeoutMillis, boolean traced, KvCommand command, ActorRef<Replies> replyTo)
      implements KeyRequest {}

  public record Get(long id, int timeoutMillis, boolean traced, byte[] key, Consistency consistency,
      ActorRef<Replies> replyTo) implements KeyRequest {}

  /**
   * Live keys in [start, end) of one partition (null = unbounded), at most {@code limit}; the
   * client asks every partition and merges the parts in key order.
   */
  public record ScanPartition(long id, int timeoutMillis, boolean traced, int partition, byte[] start, byte[] end,
      int limit, Consistency consistency, ActorRef<Replies> replyTo) implements KeyRequest {}

  /** Asks partition {@code partition}'s leader to hand leadership to {@code toNode}. */
  public record TransferLeader(long id, int timeoutMillis, boolean traced, int partition, String toNode,
      ActorRef<Replies> replyTo) implements KeyRequest {}

  /**
   * Is this node there? The router answers at once with an OK {@link Reply} of the same id
   * (servedBy = the node). A client probes a node that went silent with it, and sends it
   * requests again once it answers.
   */
  public record Ping(long id, ActorRef<Replies> replyTo) implements RouterCommand, ClientSerializable {}

  /**
   * Key requests one client sent the same node at the same moment (the next requests its
   * callbacks issued while it took one {@link Replies}), travelling as one message; the router
   * handles each as if it had come alone. Writes and gets only.
   */
  public record Requests(List<KeyRequest> requests) implements RouterCommand, ClientSerializable {}

  /** Answers to one client inbox that left a node together. */
  public record Replies(List<Reply> replies) implements ClientSerializable {}

  /** Nodes, partitions, leaders and partition states, as the answering node sees them now. */
  public record GetClusterInfo(ActorRef<ClusterInfo> replyTo) implements RouterCommand, ClientSerializable {}


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
  public record ChangeMembers(MembershipOp op, String node, ActorRef<AdminReply> replyTo)
      implements RouterCommand, ClientSerializable {}

  /**
   * The answer to the {@link KeyRequest} with {@code id}: OK with the partition's answer
   * ({@code result}, which has its own code: NOT_FOUND, CONFLICT, ALREADY_EXISTS; or
   * {@code scan} for a {@link ScanPartition}) or an error (NOT_LEADER with {@code leaderHint},
   * READ_ONLY, NO_QUORUM, TIMEOUT, INVALID_ARGUMENT, ...).
   *
   * @param servedBy the node whose replica answered (the leader, for writes and linearizable reads)
   * @param trace the node's stage stamps when the request was traced ({@link Trace}), else null
   */
  public record Reply(long id, ErrorCode code, KvResult result, ScanPart scan, String message, String leaderHint,
      String servedBy, long[] trace) implements ClientSerializable {
    @JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }

    /** An error answer to request {@code id}. */
    public static Reply error(long id, ErrorCode code, String message, String leaderHint, String servedBy) {
      return new Reply(id, code, null, null, message, leaderHint, servedBy, null);
    }
  }

  /** One live key of a scan with its version (Raft index of its last write). */
  public record ScanEntry(byte[] key, long version, byte[] value) implements ClientSerializable {}

  /** One partition's part of a scan: its first live keys of the range, and whether it stopped early. */
  public record ScanPart(List<ScanEntry> entries, boolean more) implements ClientSerializable {}

  /**
   * Answers {@link ChangeMembers}: OK with a summary in {@code message}, or the error and what was
   * done.
   */
  public record AdminReply(ErrorCode code, String message) implements ClientSerializable {
    @JsonIgnore
    public boolean isOk() {
      return code == ErrorCode.OK;
    }
  }

  /** A node as the answering router sees it. */
  public record NodeInfo(String id, String address, boolean reachable, int replicas, int leaders)
      implements ClientSerializable {}

  /**
   * A partition's replicas and Raft state (leader's view when there is one); {@code keys}: live
   * keys as the leader (else the most advanced replica that answered) has applied, -1 if unknown.
   */
  public record PartitionInfo(int partition, List<String> replicas, String leader, long term, long commitIndex,
      PartitionState state, long keys) implements ClientSerializable {}

  /** {@code hashTags}: keys hash by their {tag} (distkv.hash-tags), so a client computes partitions as nodes do. */
  public record ClusterInfo(int partitionCount, List<NodeInfo> nodes, List<PartitionInfo> partitions, boolean hashTags)
      implements ClientSerializable {}
}
