package io.distkv.raft.core;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;

/**
 * Messages between the replicas of one group. Every message carries its sender's term. The type
 * tags let them cross nodes (Jackson CBOR, see {@code io.distkv.raft.RaftSerializable}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "t")
@JsonSubTypes({
  @JsonSubTypes.Type(value = RaftMessage.PreVote.class, name = "pv"),
  @JsonSubTypes.Type(value = RaftMessage.PreVoteResponse.class, name = "pvr"),
  @JsonSubTypes.Type(value = RaftMessage.RequestVote.class, name = "rv"),
  @JsonSubTypes.Type(value = RaftMessage.VoteResponse.class, name = "rvr"),
  @JsonSubTypes.Type(value = RaftMessage.AppendEntries.class, name = "ae"),
  @JsonSubTypes.Type(value = RaftMessage.AppendResponse.class, name = "aer"),
  @JsonSubTypes.Type(value = RaftMessage.Heartbeat.class, name = "hb"),
  @JsonSubTypes.Type(value = RaftMessage.HeartbeatResponse.class, name = "hbr"),
  @JsonSubTypes.Type(value = RaftMessage.InstallSnapshot.class, name = "is"),
  @JsonSubTypes.Type(value = RaftMessage.SnapshotOffer.class, name = "so"),
  @JsonSubTypes.Type(value = RaftMessage.SnapshotChunk.class, name = "sc"),
  @JsonSubTypes.Type(value = RaftMessage.SnapshotAck.class, name = "sa"),
  @JsonSubTypes.Type(value = RaftMessage.TimeoutNow.class, name = "tn")
})
public sealed interface RaftMessage {
  String from();

  String to();

  long term();

  /** Pre-vote (thesis §9.6): would you vote for me in {@code term}? Changes nobody's term. */
  record PreVote(String from, String to, long term, long lastIndex, long lastTerm) implements RaftMessage {}

  record PreVoteResponse(String from, String to, long term, boolean granted) implements RaftMessage {}

  /** RequestVote (§5.2); {@code transfer} marks an election started by TimeoutNow (§3.10). */
  record RequestVote(String from, String to, long term, long lastIndex, long lastTerm, boolean transfer)
      implements RaftMessage {}

  record VoteResponse(String from, String to, long term, boolean granted) implements RaftMessage {}

  /** AppendEntries (§5.3), batched. */
  record AppendEntries(String from, String to, long term, long prevIndex, long prevTerm, List<Entry> entries, long commit)
      implements RaftMessage {}

  /**
   * Answer to AppendEntries or a finished snapshot. On success {@code index} is the follower's
   * match index; on rejection {@code index}/{@code hintTerm} tell the leader where the logs may
   * agree (fast back-off).
   */
  record AppendResponse(String from, String to, long term, boolean success, long index, long hintTerm)
      implements RaftMessage {}

  /**
   * Leader heartbeat; {@code readRound} > 0 asks the follower to confirm leadership for ReadIndex;
   * {@code sentTick} is the leader's tick at sending, echoed back to time the lease from.
   */
  record Heartbeat(String from, String to, long term, long commit, long readRound, long sentTick) implements RaftMessage {}

  record HeartbeatResponse(String from, String to, long term, long readRound, long sentTick) implements RaftMessage {}

  /**
   * InstallSnapshot (§7), metadata only. From the core it asks the leader's driver to bring
   * {@code to} a snapshot at {@code meta.index()} or later; the driver streams the files
   * ({@link SnapshotOffer}, {@link SnapshotChunk}, {@link SnapshotAck}) and, once they are on the
   * follower's disk and verified, the follower's driver steps this message into its core.
   */
  record InstallSnapshot(String from, String to, long term, SnapshotMeta meta) implements RaftMessage {}

  /**
   * Driver to driver, never seen by a core: the leader offers a snapshot whose files are listed
   * in {@code manifest} (see {@code io.distkv.raft.snapshot.SnapshotManifest}).
   */
  record SnapshotOffer(String from, String to, long term, SnapshotMeta meta, byte[] manifest) implements RaftMessage {}

  /**
   * Driver to driver: bytes {@code [offset, offset + data.length)} of the snapshot at
   * {@code snapshotIndex}'s files laid end to end in manifest order; {@code crc} is their CRC32C.
   */
  record SnapshotChunk(String from, String to, long term, long snapshotIndex, long offset, byte[] data, int crc)
      implements RaftMessage {}

  /**
   * Driver to driver: the receiver holds the snapshot's bytes up to {@code nextOffset} (all of
   * them, verified, when it equals the total; {@link #NOT_WANTED} when it needs no snapshot;
   * {@link #OFFER_AGAIN} when a chunk came for a transfer it has no offer of, e.g. after it restarted).
   */
  record SnapshotAck(String from, String to, long term, long snapshotIndex, long nextOffset) implements RaftMessage {
    public static final long NOT_WANTED = -1;
    public static final long OFFER_AGAIN = -2;
  }

  /** Leader transfer: start an election now, skipping pre-vote (§3.10). */
  record TimeoutNow(String from, String to, long term) implements RaftMessage {}
}
