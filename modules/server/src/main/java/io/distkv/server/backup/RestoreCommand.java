package io.distkv.server.backup;

import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.ConfigValidationException;
import io.distkv.common.config.NodeConfig;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.server.NodeProcess;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code scripts/distkv restore DIR --config NODE.conf}: {@link Restore} for one node of a new
 * cluster, run once per node before its first start. Exit 0 when restored, 1 when the backup is
 * corrupt or incomplete (the message names the file), 2 for a usage or config error (including a
 * data directory that is not empty, or a config whose partitions do not match the backup's).
 */
public final class RestoreCommand {
  private RestoreCommand() {}

  static final String USAGE = """
      usage: distkv restore DIR --config NODE.conf [-o json]
        Restores the backup in DIR (made by `distkv backup`) into the data directory of the node
        NODE.conf describes, before that node's first start. Run it for every node of the new
        cluster (each with its own config; any number of nodes), then start them.
      """;

  public static void main(String[] args) {
    System.exit(run(args));
  }

  static int run(String[] args) {
    Path dir = null;
    Path config = null;
    boolean json = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "-h", "--help" -> {
          System.out.print(USAGE);
          return 0;
        }
        case "-c", "--config" -> {
          if (i + 1 >= args.length) {
            return usage(args[i] + " needs a file name");
          }
          config = Path.of(args[++i]);
        }
        case "-o", "--output" -> {
          if (i + 1 >= args.length || !(args[i + 1].equals("json") || args[i + 1].equals("text"))) {
            return usage("-o takes json or text");
          }
          json = args[++i].equals("json");
        }
        default -> {
          if (args[i].startsWith("-") || dir != null) {
            return usage("unexpected argument '" + args[i] + "'");
          }
          dir = Path.of(args[i]);
        }
      }
    }
    if (dir == null || config == null) {
      return usage(dir == null ? "no backup directory given" : "no --config given");
    }
    if (!Files.isRegularFile(config)) {
      return usage(config + ": no such file");
    }
    NodeConfig node;
    try {
      node = NodeConfig.from(ConfigFactory.parseFile(config.toFile()));
    } catch (ConfigValidationException | ConfigException e) {
      return usage(config + ": " + e.getMessage());
    }
    try {
      Restore.Summary s = Restore.restore(dir, node, NodeProcess.lsmOptions(node));
      System.out.println(json
          ? new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(java.util.Map.of("node", s.node().value(),
              "data_dir", node.dataDir().toString(), "partitions", s.partitions(), "bytes", s.bytes()))
          : "restored " + s.partitions().size() + " partitions (" + String.format("%.1f", s.bytes() / 1048576.0)
              + " MiB) of " + dir + " into " + node.dataDir() + " for node " + s.node() + ": " + s.partitions());
      return 0;
    } catch (DistKvException e) {
      System.err.println("distkv restore: " + e.getMessage());
      return e.code() == ErrorCode.INVALID_ARGUMENT ? 2 : 1;
    } catch (java.io.IOException e) {
      System.err.println("distkv restore: " + e);
      return 1;
    }
  }

  private static int usage(String why) {
    System.err.println("distkv restore: " + why + "\n\n" + USAGE);
    return 2;
  }
}
