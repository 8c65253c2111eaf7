package io.distkv.server;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.config.NodeConfig;
import java.io.File;

/**
 * The node executable: {@code java -jar distkv-server.jar -c conf/node1.conf}. Reads and validates
 * the node's HOCON (every bad key reported, exit status 2) and starts a {@link NodeProcess}: a Pekko
 * Cluster member on the configured Artery address hosting the partitions the placement function
 * assigns it (Raft replica + LSM store each) and a router at {@code /user/router}. SIGTERM leaves
 * the cluster and closes the stores (flushing them) and the Raft log.
 */
public final class DistKvNode {
  private DistKvNode() {}

  static final String USAGE = """
      usage: java -jar distkv-server.jar -c <node.conf>
             (or -Dconfig.file=<node.conf>)

      Starts one dist-kv node. The file's `distkv` block configures it; every key, its default and
      its meaning are in reference.conf (README "Configuration"). Example: conf/node1.conf.
      """;

  /**
   * The JDK's common pool, which CompletableFuture's default async steps run on. With fewer than 3
   * cores its parallelism is 1, and CompletableFuture then starts a new thread for every async
   * step instead; Pekko's Java-facing futures (the typed {@code ActorContext.ask} among them) run
   * their continuations that way, so a 2-core node started ~1 thread per request (4,205 threads in
   * 15 s of 64-client writes). Set before anything touches the pool; a -D flag still wins.
   */
  static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

  public static void main(String[] args) {
    if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
      System.setProperty(COMMON_POOL_PARALLELISM, Integer.toString(Math.max(2, Runtime.getRuntime().availableProcessors())));
    }
    String file = System.getProperty("config.file");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return;
        }
        case "-c", "--config" -> {
          if (i + 1 >= args.length) {
            fail("-c needs a file name");
          }
          file = args[++i];
        }
        default -> fail("unknown argument '" + args[i] + "'");
      }
    }
    if (file == null) {
      fail("no configuration given");
    }
    if (!new File(file).isFile()) {
      fail("configuration file " + file + " does not exist");
    }
    Config raw = ConfigFactory.parseFile(new File(file));
    NodeConfig config;
    try {
      config = NodeConfig.from(raw);
    } catch (ConfigValidationException e) {
      System.err.println("dist-kv: " + file + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    start(config, raw);
  }

  private static void fail(String why) {
    System.err.println("dist-kv: " + why + "\n\n" + USAGE);
    System.exit(2);
  }

  /** Starts a node process (see {@link NodeProcess}); SIGTERM stops it cleanly. */
  public static NodeProcess start(NodeConfig config, Config raw) {
    if (config.jsonLogs()) {
      jsonLogs();
    }
    return NodeProcess.start(config, raw);
  }

  /**
   * distkv.log.format = json: every appender that writes lines gets logback's JsonEncoder (one
   * JSON object per line) in place of its pattern.
   */
  static void jsonLogs() {
    if (!(org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context)) {
      return; // another SLF4J backend: its own configuration decides
    }
    for (ch.qos.logback.classic.Logger logger : context.getLoggerList()) {
      for (java.util.Iterator<ch.qos.logback.core.Appender<ch.qos.logback.classic.spi.ILoggingEvent>> it =
          logger.iteratorForAppenders(); it.hasNext(); ) {
        if (it.next() instanceof ch.qos.logback.core.OutputStreamAppender<ch.qos.logback.classic.spi.ILoggingEvent> out) {
          ch.qos.logback.classic.encoder.JsonEncoder json = new ch.qos.logback.classic.encoder.JsonEncoder();
          json.setContext(context);
          json.start();
          out.stop();
          out.setEncoder(json);
          out.start();
        }
      }
    }
  }
}
