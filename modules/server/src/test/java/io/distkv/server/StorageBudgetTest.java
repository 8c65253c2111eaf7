package io.distkv.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.distkv.common.config.StorageSettings;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A node warns at start when its storage budgets may take more than half its heap. */
@Tag("phase1")
class StorageBudgetTest {
  @Test
  void budgetsBeyondHalfTheHeapAreNamedWithBothSizes() {
    // The defaults are shares of the heap (15% cache + 2 × 12% memtables + 10% Raft logs): they fit any heap.
    for (long heap : new long[] {64L << 20, 256L << 20, 1L << 30, 16L << 30}) {
      assertThat(NodeProcess.storageBeyondHeap(StorageSettings.forHeap(heap), heap / 10, heap)).isNull();
    }
    StorageSettings fixed = new StorageSettings(128L << 20, 4L << 20, 128L << 20, 2, false, 10);
    assertThat(NodeProcess.storageBeyondHeap(fixed, 64L << 20, 1L << 30)).isNull();
    assertThat(NodeProcess.storageBeyondHeap(fixed, 64L << 20, 256L << 20))
        .contains("448 MiB").contains("heap (256 MiB)").contains("distkv.storage.block-cache-size")
        .contains("distkv.raft.log-memory-budget");
  }
}
