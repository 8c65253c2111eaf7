package io.distkv.storage;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs compactions on one daemon thread; coalesces requests while one is queued. */
final class ThreadCompactionScheduler implements CompactionScheduler {
  private static final Logger log = LoggerFactory.getLogger(ThreadCompactionScheduler.class);
  private final ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "distkv-compaction");
    t.setDaemon(true);
    return t;
  });
  private final AtomicBoolean queued = new AtomicBoolean();

  @Override
  public void compactionNeeded(LsmStore store) {
    if (queued.compareAndSet(false, true)) {
      try {
        executor.execute(() -> {
          queued.set(false);
          try {
            while (store.runCompaction()) {
              // keep going while the tree is out of shape
            }
          } catch (RuntimeException e) {
            log.error("compaction failed in {}", store.directory(), e);
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.set(false); // shutting down
      }
    }
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      executor.awaitTermination(60, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
