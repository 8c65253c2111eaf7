package io.distkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The per-follower window a node sizes from its heap: 1/32 of it, between 1 MiB and 8 MiB; nothing else changes. */
@Tag("phase3")
class RaftOptionsTest {
  @Test
  void theInflightWindowIsAThirtySecondOfTheHeapBetweenOneAndEightMiB() {
    RaftOptions d = RaftOptions.defaults();
    assertThat(d.withInflightBytesForHeap(64L << 20).maxInflightBytes()).isEqualTo(2L << 20);
    assertThat(d.withInflightBytesForHeap(16L << 20).maxInflightBytes()).isEqualTo(1L << 20);
    assertThat(d.withInflightBytesForHeap(256L << 20).maxInflightBytes()).isEqualTo(8L << 20);
    assertThat(d.withInflightBytesForHeap(24L << 30).maxInflightBytes()).isEqualTo(8L << 20);
    RaftOptions sized = d.withInflightBytesForHeap(64L << 20);
    assertThat(sized.withInflightBytesForHeap(1L << 30)).isEqualTo(d);
    assertThat(sized.maxUncommittedBytes()).isEqualTo(d.maxUncommittedBytes());
    assertThat(sized.maxBytesPerAppend()).isEqualTo(d.maxBytesPerAppend());
  }
}
