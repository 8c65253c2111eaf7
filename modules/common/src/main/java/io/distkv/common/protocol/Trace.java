package io.distkv.common.protocol;

import java.util.List;

/**
 * The stages a traced request is stamped at, in order, as indexes into its {@code long[]} of
 * {@link System#nanoTime()} stamps (0 = the stage did not happen, e.g. "leader log durable" for a
 * read). The client stamps {@link #CLIENT_SEND} and {@link #CLIENT_RECEIVE}; the leader's node
 * stamps the rest and returns them in the reply. {@code System.nanoTime} is CLOCK_MONOTONIC on
 * Linux, one clock for every process of the machine, so the client-to-node stages are exact when
 * client and node share a machine (as in the load generator's runs); across machines only the
 * node's own stages compare.
 */
public final class Trace {
  private Trace() {}

  public static final int CLIENT_SEND = 0;
  public static final int NODE_RECEIVE = 1;
  public static final int PROPOSE = 2;
  public static final int LOG_DURABLE = 3;
  public static final int COMMIT_KNOWN = 4;
  public static final int APPLIED = 5;
  public static final int REPLY_SENT = 6;
  public static final int CLIENT_RECEIVE = 7;
  public static final int STAGES = 8;

  /** Stage names, by index. */
  public static final List<String> NAMES = List.of("client send", "node receive", "propose", "leader log durable",
      "commit known", "applied", "reply sent", "client receive");

  /** Stamps stage {@code stage} of {@code trace} now (no-op when the request is not traced). */
  public static void stamp(long[] trace, int stage) {
    if (trace != null) {
      trace[stage] = System.nanoTime();
    }
  }
}
