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
    // The defaults (128 MiB cache + 2 × 128 MiB memtables) fit the 1 GiB heap scripts/start-cluster.sh gives.
    assertThat(NodeProcess.storageBeyondHeap(StorageSettings.DEFAULTS, 1L << 30)).isNull();
    assertThat(NodeProcess.storageBeyondHeap(StorageSettings.DEFAULTS, 256L << 20))
        .contains("384 MiB").contains("heap (256 MiB)").contains("distkv.storage.block-cache-size");
  }
}
