package io.distkv.bench.load;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.distkv.client.ClientSettings;
import io.distkv.common.protocol.Consistency;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The cluster load generator ({@code scripts/bench}, {@code make bench}): YCSB-style workloads
 * against dist-kv (its Java client) and etcd (jetcd) with identical key sets, values and
 * concurrency, so one command measures both. Every combination of driver × workload × client count
 * runs in turn; the final table puts the drivers side by side.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Closed-loop load against dist-kv and/or etcd; prints a progress line per second and a final table.")
public final class LoadGenerator implements Callable<Integer> {
  @Option(names = "--driver", split = ",", defaultValue = "distkv", description = "distkv (Java client), distkv-resp "
      + "(the Java client on its RESP transport), resp (dist-kv through the Redis protocol, Lettuce: --resp-connections "
      + "multiplexed connections per node), resp-cluster (Lettuce's Redis Cluster client: each key to its leader's node; "
      + "needs distkv.hash-tags), resp-jedis (Jedis: a blocking connection per virtual user), etcd, "
      + "or a list: "
      + "distkv,resp,etcd (default ${DEFAULT-VALUE}).")
  List<String> drivers;

  @Option(names = "--workload", split = ",", defaultValue = "write,b", description = "write, a (50/50), b (95/5 read/update), c (read-only); list (default ${DEFAULT-VALUE}).")
  List<String> workloads;

  @Option(names = "--clients", split = ",", defaultValue = "64", description = "Concurrent requests in flight; list, e.g. 1,64,256 (default ${DEFAULT-VALUE}).")
  List<Integer> clients;

  @Option(names = "--keys", defaultValue = "100000", description = "Key count (default ${DEFAULT-VALUE}).")
  long keys;

  @Option(names = "--value-size", defaultValue = "100", description = "Value bytes (default ${DEFAULT-VALUE}).")
  int valueSize;

  @Option(names = "--distribution", defaultValue = "uniform", description = "uniform or zipfian (default ${DEFAULT-VALUE}).")
  String distribution;

  @Option(names = "--duration", defaultValue = "10s", description = "Run length per combination, e.g. 10s (default ${DEFAULT-VALUE}); 0 = use --ops.")
  String duration;

  @Option(names = "--warmup", defaultValue = "10s", description = "Load before measuring each combination, not recorded "
      + "(JIT warm-up of the JVMs on both ends), e.g. 10s (default ${DEFAULT-VALUE}); 0 = none.")
  String warmup;

  @Option(names = "--rounds", defaultValue = "1", description = "Measure every driver this many times, the drivers' "
      + "order reversed in every other round (a later driver runs against nodes the earlier ones warmed up); prints each "
      + "round's table, then every driver's throughput over all rounds and its ratio to the first driver (default ${DEFAULT-VALUE}).")
  int rounds;

  @Option(names = "--rate", defaultValue = "0", description = "Open loop: start this many operations per second "
      + "in all, on a fixed schedule, with at most --clients in flight; each latency counts from the operation's "
      + "scheduled start, so a stall shows in every operation it delayed (0 = closed loop, the default).")
  double rate;

  @Option(names = "--ops", defaultValue = "0", description = "Operations per combination instead of a duration (0 = unbounded).")
  long ops;

  @Option(names = "--consistency", defaultValue = "linearizable", description = "linearizable or eventual reads (default ${DEFAULT-VALUE}).")
  String consistency;

  @Option(names = "--preload", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Write every key once before the read workloads (default on).")
  boolean preload;

  @Option(names = "--contact", split = ",", description = "dist-kv contact points host:port (default: conf/client.conf, else 127.0.0.1:7101).")
  List<String> contacts;

  @Option(names = "--etcd-endpoints", split = ",", defaultValue = "http://127.0.0.1:2379,http://127.0.0.1:22379,http://127.0.0.1:32379",
      description = "etcd endpoints (default: the 3 members of scripts/etcd-cluster.sh).")
  List<String> etcdEndpoints;

  @Option(names = "--resp-endpoints", split = ",", defaultValue = "127.0.0.1:6401,127.0.0.1:6402,127.0.0.1:6403",
      description = "dist-kv RESP ports for the resp driver (default: make run's nodes).")
  List<String> respEndpoints;

  @Option(names = "--resp-connections", defaultValue = "1",
      description = "Connections per node of the resp driver (Lettuce multiplexes every virtual user's commands on them; default ${DEFAULT-VALUE}).")
  int respConnections;

  @Option(names = "--resp-consolidate-flushes", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "The resp and resp-cluster drivers write the commands issued together (a closed loop's next operations, "
      + "issued as replies arrive) in one socket write, with Netty's FlushConsolidationHandler (default on; "
      + "--no-resp-consolidate-flushes: one write per command, Lettuce's default).")
  boolean respConsolidateFlushes;

  @Option(names = "--distkv-pids", defaultValue = "run/node*.pid",
      description = "Pid files of the dist-kv nodes whose CPU time and context switches are reported per operation "
          + "(default ${DEFAULT-VALUE}, as make run writes them).")
  String distkvPids;

  @Option(names = "--etcd-pids", defaultValue = "run/etcd-e*.pid",
      description = "Pid files of the etcd members (default ${DEFAULT-VALUE}, as scripts/etcd-cluster.sh writes them).")
  String etcdPids;

  @Option(names = "--trace", arity = "0..1", defaultValue = "0", fallbackValue = "1000",
      description = "Trace one dist-kv request in N (--trace alone: 1 in 1,000; --trace 1: every request) and print "
          + "where traced requests spent their time, stage by stage (p50/p99), after each run.")
  int traceOneIn;

  @Option(names = "--json", description = "Also write every result as JSON to this file.")
  Path json;

  PrintStream out = System.out;

  @Override
  public Integer call() throws Exception {
    Duration d = parseDuration(duration);
    if (d.isZero() && ops <= 0) {
      throw new CommandLine.ParameterException(new CommandLine(this), "give a --duration or an --ops count");
    }
    Consistency c = Consistency.valueOf(consistency.toUpperCase(Locale.ROOT));
    List<Workload> wl = workloads.stream().map(Workload::parse).toList();
    KeyChooser chooser = KeyChooser.of(distribution, keys);
    if (rounds < 1) {
      throw new CommandLine.ParameterException(new CommandLine(this), "--rounds must be at least 1 (got " + rounds + ")");
    }
    List<LoadRun.Result> results = new ArrayList<>();
    for (int round = 1; round <= rounds; round++) {
      List<String> order = new ArrayList<>(drivers);
      if (round % 2 == 0) {
        java.util.Collections.reverse(order);
      }
      if (rounds > 1) {
        out.printf("==== round %d of %d: %s ====%n", round, rounds, String.join(", ", order));
      }
      List<LoadRun.Result> roundResults = runDrivers(order, round == 1, wl, chooser, c, d);
      printTable(roundResults);
      results.addAll(roundResults);
    }
    if (rounds > 1) {
      printRounds(results);
    }
    if (json != null) {
      writeJson(results);
    }
    return results.stream().anyMatch(r -> r.errorCount() > 0) ? 1 : 0;
  }

  /** One round: every driver in {@code order}, each workload × client count. */
  private List<LoadRun.Result> runDrivers(List<String> order, boolean firstRound, List<Workload> wl, KeyChooser chooser,
      Consistency c, Duration d) throws Exception {
    List<LoadRun.Result> results = new ArrayList<>();
    for (String name : order) {
      try (Driver driver = open(name, c)) {
        boolean loaded = false;
        for (Workload w : wl) {
          if (preload && firstRound && w != Workload.WRITE && !loaded) {
            LoadRun.preload(driver, keys, valueSize, 64, out);
            loaded = true;
          }
          for (int n : clients) {
            out.printf("== %s, %s, %d clients, %,d keys, %d-byte values, %s keys, %s reads%s ==%n", name, w.label(), n,
                keys, valueSize, distribution, c.name().toLowerCase(Locale.ROOT),
                rate > 0 ? String.format(", open loop at %,.0f ops/s", rate) : "");
            long warm = parseDuration(warmup).toNanos();
            TraceBreakdown traces = new TraceBreakdown(System.nanoTime() + warm);
            driver.trace(traceOneIn, traces::add);
            LoadRun.Result r = new LoadRun(driver, w, n, chooser, valueSize, d.toNanos(), warm, ops, out, servers(name))
                .openLoop(rate).run();
            driver.trace(0, null);
            results.add(r);
            out.printf("   %,.0f ops/s, p50 %.2f ms, p99 %.2f ms, p999 %.2f ms, max %.2f ms, errors %d%s%n", r.opsPerSec(),
                r.overall().p50(), r.overall().p99(), r.overall().p999(), r.overall().max(), r.errorCount(),
                r.errors().isEmpty() ? "" : " " + r.errors());
            if (!traces.isEmpty()) {
              traces.print(out, name + " " + w.label() + " @" + n);
            }
          }
        }
      }
    }
    return results;
  }

  /** The server processes of driver {@code name}, from its pid files (none found = not reported). */
  private ServerProcesses servers(String name) {
    String glob = name.equalsIgnoreCase("etcd") ? etcdPids : distkvPids; // (resp: the dist-kv nodes)
    Path p = Path.of(glob);
    Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
    return ServerProcesses.fromPidFiles(dir, p.getFileName().toString());
  }

  private Driver open(String name, Consistency c) {
    return switch (name.toLowerCase(Locale.ROOT)) {
      case "distkv" -> new DistKvDriver("distkv", clientSettings(), c);
      case "distkv-resp" -> { // the Java client on its RESP transport, through the same RESP ports as "resp"
        ClientSettings s = clientSettings();
        yield new DistKvDriver("distkv-resp", new ClientSettings(respEndpoints, s.host(), s.port(), s.requestTimeout(),
            s.attemptTimeout(), s.maxRetries(), s.retryBackoff(), s.clientId(), s.limits(), s.tls(),
            ClientSettings.Transport.RESP, s.user(), s.password()), c);
      }
      case "etcd" -> new EtcdDriver(etcdEndpoints, c == Consistency.EVENTUAL);
      case "resp" -> new LettuceDriver(respEndpoints, respConnections, c == Consistency.EVENTUAL,
          respConsolidateFlushes);
      case "resp-cluster" -> new LettuceClusterDriver(respEndpoints, c == Consistency.EVENTUAL, respConsolidateFlushes);
      case "resp-jedis" -> new RespDriver(respEndpoints, Math.max(64, clients.stream().mapToInt(Integer::intValue).max().orElse(64)),
          c == Consistency.EVENTUAL);
      default -> throw new CommandLine.ParameterException(new CommandLine(this), "unknown driver '" + name
          + "' (distkv, distkv-resp, resp, resp-cluster, resp-jedis, etcd)");
    };
  }

  private ClientSettings clientSettings() {
    ClientSettings s = Files.isReadable(Path.of("conf/client.conf")) ? ClientSettings.fromFile(Path.of("conf/client.conf"))
        : ClientSettings.fromConfig(com.typesafe.config.ConfigFactory.empty());
    return contacts == null || contacts.isEmpty() ? s : s.withContactPoints(contacts);
  }

  static Duration parseDuration(String text) {
    return com.typesafe.config.ConfigFactory.parseString("d = " + text).getDuration("d");
  }

  /** One row per workload × client count; per driver: throughput, latency percentiles, errors; dist-kv/etcd ratio. */
  void printTable(List<LoadRun.Result> results) {
    Map<String, Map<String, LoadRun.Result>> rows = new LinkedHashMap<>();
    List<String> names = new ArrayList<>();
    for (LoadRun.Result r : results) {
      rows.computeIfAbsent(r.workload().label() + " @" + r.clients(), k -> new LinkedHashMap<>()).put(r.driver(), r);
      if (!names.contains(r.driver())) {
        names.add(r.driver());
      }
    }
    StringBuilder header = new StringBuilder(String.format("%-20s", "workload @clients"));
    for (String n : names) {
      header.append(String.format(" | %-8s %9s %8s %8s %8s %8s %6s %9s %7s", n, "ops/s", "p50 ms", "p99 ms", "p999 ms", "max ms",
          "errors", "cpu ms/op", "cs/op"));
    }
    boolean ratio = names.contains("distkv") && names.contains("etcd");
    if (ratio) {
      header.append(" | distkv/etcd");
    }
    out.println();
    out.println(header);
    out.println("-".repeat(header.length()));
    for (Map.Entry<String, Map<String, LoadRun.Result>> row : rows.entrySet()) {
      StringBuilder line = new StringBuilder(String.format("%-20s", row.getKey()));
      for (String n : names) {
        LoadRun.Result r = row.getValue().get(n);
        if (r == null) {
          line.append(String.format(" | %-8s %9s %8s %8s %8s %8s %6s %9s %7s", "", "-", "-", "-", "-", "-", "-", "-", "-"));
        } else {
          LoadRun.Stats s = r.overall();
          line.append(String.format(" | %-8s %,9.0f %8.2f %8.2f %8.2f %8.2f %6d %9s %7s", "", r.opsPerSec(), s.p50(), s.p99(),
              s.p999(), s.max(), r.errorCount(), perOp(r.serverCpuMsPerOp(), "%.3f"), perOp(r.serverContextSwitchesPerOp(), "%.1f")));
        }
      }
      if (ratio && row.getValue().containsKey("distkv") && row.getValue().containsKey("etcd")) {
        line.append(String.format(" | %.2fx", row.getValue().get("distkv").opsPerSec() / row.getValue().get("etcd").opsPerSec()));
      }
      out.println(line);
    }
  }

  /**
   * Over all rounds: per workload × client count, every driver's operations over its measured
   * seconds, and its ratio to the first driver given.
   */
  void printRounds(List<LoadRun.Result> results) {
    Map<String, Map<String, double[]>> rows = new LinkedHashMap<>();
    for (LoadRun.Result r : results) {
      double[] sum = rows.computeIfAbsent(r.workload().label() + " @" + r.clients(), k -> new LinkedHashMap<>())
          .computeIfAbsent(r.driver(), k -> new double[2]);
      sum[0] += r.ops();
      sum[1] += r.seconds();
    }
    String first = drivers.get(0);
    out.println();
    out.printf("all %d rounds: ops/s over every round (ratio to %s)%n", rounds, first);
    for (Map.Entry<String, Map<String, double[]>> row : rows.entrySet()) {
      StringBuilder line = new StringBuilder(String.format("%-20s", row.getKey()));
      double[] base = row.getValue().get(first);
      for (String n : drivers) {
        double[] sum = row.getValue().get(n);
        if (sum == null) {
          continue;
        }
        double opsPerSec = sum[0] / sum[1];
        line.append(String.format(Locale.ROOT, " | %-12s %,9.0f ops/s", n, opsPerSec));
        if (base != null) {
          line.append(String.format(Locale.ROOT, "  %.2fx", opsPerSec / (base[0] / base[1])));
        }
      }
      out.println(line);
    }
  }

  private static String perOp(double v, String format) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, format, v);
  }

  private void writeJson(List<LoadRun.Result> results) throws java.io.IOException {
    ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("keys", keys);
    doc.put("valueSize", valueSize);
    doc.put("distribution", distribution);
    doc.put("consistency", consistency);
    doc.put("rounds", rounds);
    doc.put("results", results);
    mapper.writeValue(json.toFile(), doc);
    out.println("wrote " + json);
  }

  /** Runs the generator with {@code args}; returns the exit code (0 = every operation succeeded). */
  public static int run(String[] args, PrintStream out) {
    LoadGenerator g = new LoadGenerator();
    g.out = out;
    CommandLine cl = new CommandLine(g);
    return cl.execute(args);
  }

  public static void main(String[] args) {
    int code = run(args, System.out);
    System.exit(code);
  }
}
