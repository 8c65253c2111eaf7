package io.distkv.client;

import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.ScanToken;
import java.util.List;

/**
 * One page of a scan in unsigned key order. When {@link #hasMore()}, {@link #continuation()} is the
 * token that resumes after the last entry ({@link DistKvClient#nextPage}, or the CLI's
 * {@code --after TOKEN}). Each page is read from every partition at the requested consistency;
 * pages are not one snapshot of the whole range (writes between pages may or may not show).
 */
public record ScanPage(List<KeyValue> entries, byte[] nextStart, byte[] end, int limit, Consistency consistency) {
  public ScanPage {
    entries = List.copyOf(entries);
  }

  public boolean hasMore() {
    return nextStart != null;
  }

  /** The continuation token, or null when the range is exhausted. */
  public String continuation() {
    return nextStart == null ? null : ScanToken.encode(nextStart);
  }
}
