package io.distkv.verify;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.client.Versioned;
import io.distkv.client.WriteResult;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.InvalidArgumentException;
import io.distkv.common.protocol.Consistency;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Records a history: {@code clients} logical clients, each with its own {@link DistKvClient}
 * (its own session and connection, all connected before the clock starts), run the register and set workloads over {@code keys} keys
 * until a deadline; every operation goes into the history with its invoke and complete times on
 * one monotonic clock, its result, the version returned and its outcome.
 *
 * <p>Mix per operation: 30% linearizable get, 22% put, 20% read-then-CAS (the read is recorded as
 * a get of its own), 5% delete, 10% eventual get, 13% set add (a put of a key of its own). Values
 * are unique in the run ({@code c<client>-<n>}).
 *
 * <p>Outcomes: a write is FAIL only when its answer proves it did not apply (a CAS conflict,
 * INVALID_ARGUMENT); any other error, and no answer, is UNKNOWN, because an earlier attempt of the
 * same request (retried by the client or by the router on the node) may still apply. A read that
 * got an error answer is FAIL, one that got no answer UNKNOWN; neither has an effect to check.
 */
public final class Recorder {
  /** Keys of the register workload. */
  public static String registerKey(int i) {
    return "r" + i;
  }

  private final ClientSettings settings;
  private final int keys;
  private final long seed;
  private final LongSupplier clock;
  private final Duration wait;
  private final ConcurrentLinkedQueue<Op> ops = new ConcurrentLinkedQueue<>();
  private final AtomicLong completed = new AtomicLong();

  /**
   * @param settings client settings (each logical client gets its own id)
   * @param keys register keys
   * @param seed drives each client's choices (client i uses seed + i)
   * @param clock nanoseconds since the start of the history
   */
  public Recorder(ClientSettings settings, int keys, long seed, LongSupplier clock) {
    this.settings = settings;
    this.keys = keys;
    this.seed = seed;
    this.clock = clock;
    // The client gives up by its own deadline; this only guards against a stage never completing.
    this.wait = settings.requestTimeout().plusSeconds(10);
  }

  public long completed() {
    return completed.get();
  }

  public List<Op> ops() {
    return new ArrayList<>(ops);
  }

  /**
   * Connects {@code clients} clients, each with its own client id and ActorSystem, four at a time
   * (dozens of ActorSystems starting and handshaking at once on two cores miss their deadlines).
   * Done before the history's clock starts.
   */
  public List<DistKvClient> connect(int clients, Duration within) throws InterruptedException {
    long deadline = System.nanoTime() + within.toNanos();
    DistKvClient[] out = new DistKvClient[clients];
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
    try {
      List<java.util.concurrent.Future<?>> started = new ArrayList<>();
      for (int c = 0; c < clients; c++) {
        int i = c;
        started.add(pool.submit(() -> {
          ClientSettings mine = ClientSettings.builder().contactPoints(settings.contactPoints())
              .requestTimeout(settings.requestTimeout()).attemptTimeout(settings.attemptTimeout())
              .maxRetries(settings.maxRetries()).retryBackoff(settings.retryBackoff()).build();
          out[i] = connect(mine, () -> System.nanoTime() < deadline);
        }));
      }
      for (java.util.concurrent.Future<?> f : started) {
        f.get();
      }
    } catch (ExecutionException e) {
      throw new IllegalStateException("connecting the clients failed", e.getCause());
    } finally {
      pool.shutdownNow();
    }
    List<DistKvClient> list = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      if (out[c] == null) {
        list.stream().filter(java.util.Objects::nonNull).forEach(DistKvClient::close);
        throw new IllegalStateException("client " + c + " could not connect within " + within.toSeconds() + " s");
      }
      list.add(out[c]);
    }
    return list;
  }

  /** Runs one thread per client until {@code untilNanos} on the history clock; returns when all have stopped. */
  public void run(List<DistKvClient> clients, long untilNanos) throws InterruptedException {
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clients.size(); c++) {
      int process = c;
      DistKvClient client = clients.get(c);
      Thread t = new Thread(() -> runClient(process, client, untilNanos), "verify-client-" + c);
      t.start();
      threads.add(t);
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  private void runClient(int process, DistKvClient client, long untilNanos) {
    SplittableRandom r = new SplittableRandom(seed * 1_000_003L + process);
    try (client) {
      long n = 0;
      while (clock.getAsLong() < untilNanos && !Thread.currentThread().isInterrupted()) {
        String key = registerKey(r.nextInt(keys));
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        String value = "c" + process + "-" + (++n);
        int dice = r.nextInt(100);
        if (dice < 30) {
          read(client, process, Op.Type.GET, key, Consistency.LINEARIZABLE);
        } else if (dice < 52) {
          write(process, Op.Type.PUT, key, value, null, null, () -> client.put(k, bytes(value)));
        } else if (dice < 72) {
          Op read = read(client, process, Op.Type.GET, key, Consistency.LINEARIZABLE);
          if (read.ok()) {
            write(process, Op.Type.CAS, key, value, read.version(), read.value(),
                () -> client.compareAndSet(k, read.version(), bytes(value)));
          }
        } else if (dice < 77) {
          write(process, Op.Type.DELETE, key, null, null, null, () -> client.delete(k));
        } else if (dice < 87) {
          read(client, process, Op.Type.EVENTUAL_GET, key, Consistency.EVENTUAL);
        } else {
          String element = "set/" + value;
          write(process, Op.Type.SET_ADD, element, value, null, null, () -> client.put(bytes(element), bytes(value)));
        }
      }
    }
  }

  /** Connects, retrying while {@code more} says so (a node may be down when a client starts). */
  private static DistKvClient connect(ClientSettings s, java.util.function.BooleanSupplier more) {
    while (more.getAsBoolean()) {
      try {
        return DistKvClient.connect(s);
      } catch (DistKvException e) {
        // every contact point silent: a fault is under way; try again
      }
    }
    return null;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private Op read(DistKvClient client, int process, Op.Type type, String key, Consistency consistency) {
    long invoke = clock.getAsLong();
    Op op;
    try {
      Optional<Versioned> v = client.get(bytes(key), consistency).toCompletableFuture().get(wait.toNanos(), TimeUnit.NANOSECONDS);
      String value = v.map(x -> new String(x.value(), StandardCharsets.UTF_8)).orElse(null);
      op = new Op(process, type, key, value, null, null, Op.Outcome.OK, null, v.map(Versioned::version).orElse(0L),
          invoke, clock.getAsLong());
    } catch (Exception e) {
      Failure f = failure(e);
      op = new Op(process, type, key, null, null, null, f.answered ? Op.Outcome.FAIL : Op.Outcome.UNKNOWN, f.error, -1,
          invoke, clock.getAsLong());
    }
    record(op);
    return op;
  }

  /**
   * Runs one write and records it. The invoke time is taken before {@code call} sends anything: a
   * time taken after the request left (the stage already created) could fall after the write was
   * applied, if the thread is descheduled in between, and make a correct history look wrong.
   */
  private void write(int process, Op.Type type, String key, String value, Long expectedVersion, String expectedValue,
      java.util.function.Supplier<CompletionStage<?>> call) {
    long invoke = clock.getAsLong();
    Op op;
    try {
      Object result = call.get().toCompletableFuture().get(wait.toNanos(), TimeUnit.NANOSECONDS);
      long done = clock.getAsLong();
      if (result instanceof WriteResult w && !w.applied()) {
        op = new Op(process, type, key, value, expectedVersion, expectedValue, Op.Outcome.FAIL, "CONFLICT", w.version(),
            invoke, done);
      } else {
        long version = result instanceof WriteResult w ? w.version() : (Long) result;
        op = new Op(process, type, key, value, expectedVersion, expectedValue, Op.Outcome.OK, null, version, invoke, done);
      }
    } catch (Exception e) {
      Failure f = failure(e);
      boolean refused = "INVALID_ARGUMENT".equals(f.error);
      op = new Op(process, type, key, value, expectedVersion, expectedValue,
          refused ? Op.Outcome.FAIL : Op.Outcome.UNKNOWN, f.error, -1, invoke, clock.getAsLong());
    }
    record(op);
  }

  private void record(Op op) {
    ops.add(op);
    completed.incrementAndGet();
  }

  /** What went wrong: the error code, and whether a node answered with it (vs silence). */
  private record Failure(String error, boolean answered) {}

  private static Failure failure(Exception e) {
    Throwable t = e instanceof ExecutionException || e instanceof CompletionException ? e.getCause() : e;
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
    }
    if (t instanceof InvalidArgumentException) {
      return new Failure("INVALID_ARGUMENT", true);
    }
    if (t instanceof DistKvException d) {
      String code = d.code().name();
      boolean answered = !code.equals("TIMEOUT");
      return new Failure(code, answered);
    }
    if (t instanceof TimeoutException) {
      return new Failure("TIMEOUT", false);
    }
    return new Failure(t == null ? "UNKNOWN" : t.getClass().getSimpleName(), false);
  }

  /**
   * The final reads after healing: a linearizable get of every register key and of every element
   * the set workload tried to add, from 16 threads sharing one client, each read retried until it
   * answers or {@code within} passes.
   */
  public void finalReads(List<String> elementKeys, Duration within) throws InterruptedException {
    ClientSettings s = ClientSettings.builder().contactPoints(settings.contactPoints())
        .requestTimeout(settings.requestTimeout()).attemptTimeout(settings.attemptTimeout()).build();
    long deadline = clock.getAsLong() + within.toNanos();
    DistKvClient client = connect(s, () -> clock.getAsLong() < deadline);
    if (client == null) {
      return;
    }
    List<String[]> reads = new ArrayList<>();
    for (int i = 0; i < keys; i++) {
      reads.add(new String[] {Op.Type.GET.name(), registerKey(i)});
    }
    elementKeys.forEach(e -> reads.add(new String[] {Op.Type.SET_READ.name(), e}));
    java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    try (client) {
      for (int t = 0; t < 16; t++) {
        Thread thread = new Thread(() -> {
          int i;
          while ((i = next.getAndIncrement()) < reads.size()) {
            finalRead(client, Op.Type.valueOf(reads.get(i)[0]), reads.get(i)[1], deadline);
          }
        }, "verify-final-read-" + t);
        thread.start();
        threads.add(thread);
      }
      for (Thread thread : threads) {
        thread.join();
      }
    }
  }

  private void finalRead(DistKvClient client, Op.Type type, String key, long deadline) {
    while (clock.getAsLong() < deadline) {
      if (read(client, -1, type, key, Consistency.LINEARIZABLE).ok()) {
        return;
      }
    }
  }
}
