package io.distkv.raft.core;

import java.util.Arrays;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/** Majority arithmetic over a voter set: small, pure and exhaustively tested. */
public final class Quorum {
  private Quorum() {}

  /** Smallest number of voters that is a majority. */
  public static int majority(int voters) {
    return voters / 2 + 1;
  }

  /**
   * The highest index that a majority of {@code voters} have reached, given each voter's index
   * (missing voters count as 0). With no voters: {@link Long#MAX_VALUE}.
   */
  public static long committedIndex(Collection<String> voters, ToLongFunction<String> matchOf) {
    if (voters.isEmpty()) {
      return Long.MAX_VALUE;
    }
    long[] m = new long[voters.size()];
    int i = 0;
    for (String v : voters) {
      m[i++] = matchOf.applyAsLong(v);
    }
    Arrays.sort(m);
    // sorted ascending: the value at position n - majority is held by at least `majority` voters
    return m[m.length - majority(m.length)];
  }

  /** Outcome of a vote count. */
  public enum VoteResult {
    WON,
    LOST,
    PENDING
  }

  /** Counts {@code votes} (voter → granted) among {@code voters}; unknown voters are ignored. */
  public static VoteResult tally(Set<String> voters, Map<String, Boolean> votes) {
    int granted = 0;
    int rejected = 0;
    for (String v : voters) {
      Boolean b = votes.get(v);
      if (b == null) {
        continue;
      }
      if (b) {
        granted++;
      } else {
        rejected++;
      }
    }
    int q = majority(voters.size());
    if (granted >= q) {
      return VoteResult.WON;
    }
    if (voters.size() - rejected < q) {
      return VoteResult.LOST;
    }
    return VoteResult.PENDING;
  }

  /** Whether {@code active} contains a majority of {@code voters}. */
  public static boolean hasMajority(Set<String> voters, Set<String> active) {
    int n = 0;
    for (String v : voters) {
      if (active.contains(v)) {
        n++;
      }
    }
    return n >= majority(voters.size());
  }
}
