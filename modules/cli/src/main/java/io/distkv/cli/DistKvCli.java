package io.distkv.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.distkv.cli.RespLink.CliFailure;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * The {@code distkv} command line. It speaks RESP to a node ({@link RespLink}: dist-kv's DKV.*
 * commands, docs/resp.md), so a command starts no ActorSystem and joins no cluster. Exit codes:
 * 0 done, 1 not found or condition failed, 2 usage error, 3 the cluster could not do it
 * (unreachable, timeout, read-only, ...). {@code -o json} prints one JSON object per command.
 */
@Command(name = "distkv", mixinStandardHelpOptions = true, version = "distkv 0.1.0",
    description = "Talks to a dist-kv cluster over RESP (default: the local one from `make run`, conf/client.conf).")
public final class DistKvCli implements Callable<Integer> {
  static final int OK = 0;
  static final int NOT_FOUND_OR_FAILED = 1;
  static final int USAGE = 2;
  static final int CLUSTER_ERROR = 3;
  static final int PERMISSION_DENIED = 4;

  /** How long add-node, remove-node and rebalance may take (the node's own limit is the same). */
  static final Duration MEMBERSHIP_TIMEOUT = Duration.ofMinutes(10);

  @Option(names = "--contact", scope = CommandLine.ScopeType.INHERIT, paramLabel = "HOST:PORT",
      description = "A node's RESP endpoint (repeatable, tried in order); overrides distkv.cli.endpoints.")
  List<String> contacts;

  @Option(names = "--config", scope = CommandLine.ScopeType.INHERIT, paramLabel = "FILE",
      description = "Client config (HOCON, keys under distkv.cli). Default: the repository's conf/client.conf "
          + "if present, else 127.0.0.1:6401.")
  Path config;

  @Option(names = "--timeout", scope = CommandLine.ScopeType.INHERIT, paramLabel = "DURATION",
      description = "How long to wait for an answer, e.g. 5s or 500ms (default distkv.cli.timeout, 5s).")
  String timeout;

  @Option(names = {"-o", "--output"}, scope = CommandLine.ScopeType.INHERIT, paramLabel = "FORMAT",
      description = "text (default) or json: one JSON object per command on standard output.")
  String output;

  @Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return USAGE;
  }

  /**
   * Where and how to talk: RESP endpoints, who to AUTH as (user "" = the default user) and with
   * which password, the answer timeout, TLS (null = plain TCP).
   */
  record Target(List<String> endpoints, String user, String password, Duration timeout, javax.net.ssl.SSLContext tls) {}

  /**
   * The target from {@code distkv.cli} in the config file (or conf/client.conf), then the
   * {@code DISTKV_USER} and {@code DISTKV_PASSWORD} environment variables, then the command line's
   * --contact and --timeout.
   */
  Target target() {
    Path defaultConf = Path.of(System.getProperty("distkv.cli.default-config", "conf/client.conf"));
    Path file = config != null ? config : Files.isReadable(defaultConf) ? defaultConf : null;
    List<String> endpoints = List.of("127.0.0.1:6401");
    String user = "";
    String password = "";
    Duration wait = Duration.ofSeconds(5);
    javax.net.ssl.SSLContext tls = null;
    if (file != null) {
      if (!Files.isReadable(file)) {
        throw new CliFailure(USAGE, "--config " + file + ": no such file");
      }
      try {
        Config c = ConfigFactory.parseFile(file.toFile()).resolve();
        if (c.hasPath("distkv.cli")) {
          for (String k : c.getConfig("distkv.cli").root().keySet()) {
            if (!List.of("endpoints", "user", "password", "timeout").contains(k)) {
              throw new CliFailure(USAGE, "bad client config " + file + ": distkv.cli." + k
                  + ": unknown key (known: endpoints, user, password, timeout)");
            }
          }
        }
        if (c.hasPath("distkv.cli.endpoints")) {
          endpoints = c.getStringList("distkv.cli.endpoints");
        }
        if (c.hasPath("distkv.cli.user")) {
          user = c.getString("distkv.cli.user");
        }
        if (c.hasPath("distkv.cli.password")) {
          password = c.getString("distkv.cli.password");
        }
        if (c.hasPath("distkv.cli.timeout")) {
          wait = c.getDuration("distkv.cli.timeout");
        }
        if (c.hasPath("distkv.tls.enabled") && c.getBoolean("distkv.tls.enabled")) { // (only then read: start-up time)
          tls = io.distkv.common.config.TlsSettings.from(c).sslContext();
        }
      } catch (ConfigException e) {
        throw new CliFailure(USAGE, "bad client config " + file + ": " + e.getMessage());
      } catch (io.distkv.common.config.ConfigValidationException e) {
        throw new CliFailure(USAGE, "bad client config " + file + ": " + String.join("; ", e.problems()));
      }
    }
    String userFromEnv = System.getenv("DISTKV_USER");
    if (userFromEnv != null && !userFromEnv.isEmpty()) {
      user = userFromEnv;
    }
    String fromEnv = System.getenv("DISTKV_PASSWORD");
    if (fromEnv != null && !fromEnv.isEmpty()) {
      password = fromEnv;
    }
    if (contacts != null && !contacts.isEmpty()) {
      endpoints = contacts;
    }
    if (timeout != null) {
      wait = parseDuration("--timeout", timeout);
    }
    if (endpoints.isEmpty()) {
      throw new CliFailure(USAGE, "no endpoint: give --contact HOST:PORT or distkv.cli.endpoints");
    }
    return new Target(endpoints, user, password, wait, tls);
  }

  boolean json() {
    if (output == null || output.equals("text")) {
      return false;
    }
    if (output.equals("json")) {
      return true;
    }
    throw new CliFailure(USAGE, "-o " + output + ": the output format is text or json");
  }

  static Duration parseDuration(String option, String text) {
    try {
      Duration d = ConfigFactory.parseString("d = " + text).getDuration("d");
      if (d.isNegative() || d.isZero()) {
        throw new CliFailure(USAGE, option + ": '" + text + "' must be positive");
      }
      return d;
    } catch (ConfigException e) {
      throw new CliFailure(USAGE, option + ": '" + text + "' is not a duration (e.g. 5s, 500ms)");
    }
  }

  static byte[] utf8(String s) {
    return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
  }

  static String text(Object resp) {
    return resp == null ? null : resp instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : resp.toString();
  }

  static long number(Object resp) {
    return resp instanceof Long l ? l : Long.parseLong(text(resp));
  }

  /** A RESP2 map (a flat key, value, key, value... array) by key. */
  static Map<String, Object> map(Object resp) {
    List<?> flat = (List<?>) resp;
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i + 1 < flat.size(); i += 2) {
      m.put(text(flat.get(i)), flat.get(i + 1));
    }
    return m;
  }

  /**
   * The value of a write: the VALUE argument, or the bytes of {@code --value-file} ("-" = standard
   * input; binary-safe, and beyond what an argument can carry), exactly one of them.
   */
  static byte[] value(String argument, String file, java.io.InputStream stdin) {
    if ((argument == null) == (file == null)) {
      throw new CliFailure(USAGE, "give the value either as VALUE or with --value-file FILE (- = standard input), not "
          + (argument == null ? "neither" : "both"));
    }
    if (argument != null) {
      return utf8(argument);
    }
    try {
      return file.equals("-") ? stdin.readAllBytes() : Files.readAllBytes(Path.of(file));
    } catch (java.io.IOException e) {
      throw new CliFailure(USAGE, "cannot read --value-file " + file + ": " + e);
    }
  }

  /** Prints a failure: "distkv: message" on standard error, or a JSON error object there with -o json. */
  static void report(CommandLine.Model.CommandSpec spec, boolean json, CliFailure e) {
    PrintWriter err = spec.commandLine().getErr();
    if (json) {
      Map<String, Object> error = new LinkedHashMap<>();
      error.put("error", e.getMessage());
      error.put("exit", e.exitCode);
      err.println(Json.write(error));
    } else {
      err.println("distkv: " + e.getMessage());
    }
  }

  static Map<String, Object> fields(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  static void pause(long ms) {
    try {
      Thread.sleep(ms); // polling a cluster from a shell tool, with a deadline
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Every subcommand, in the order help lists them. */
  static final List<Class<?>> SUBCOMMANDS = List.of(KeyCommands.Put.class, KeyCommands.Get.class,
      KeyCommands.Del.class, KeyCommands.Cas.class, KeyCommands.Scan.class, ClusterCommands.Status.class,
      ClusterCommands.Leader.class, ClusterCommands.TransferLeader.class, ClusterCommands.AddNode.class,
      ClusterCommands.RemoveNode.class, ClusterCommands.Rebalance.class, ClusterCommands.Backup.class, ClusterCommands.WaitReady.class,
      ClusterCommands.ConfigCheck.class, ClusterCommands.HashPassword.class, CommandLine.HelpCommand.class);

  /**
   * The command line with the subcommand that {@code args} names, or with all of them when it names
   * none it knows (usage, help): picocli builds a command's model by reflection, and building only
   * the one that runs halves the CLI's start.
   */
  static CommandLine commandLine(String[] args) {
    CommandLine cl = new CommandLine(new DistKvCli());
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("-")) {
        if (List.of("--contact", "--config", "--timeout", "-o", "--output").contains(a)) {
          i++; // the option's value
        }
        continue;
      }
      for (Class<?> c : SUBCOMMANDS) {
        Command spec = c.getAnnotation(Command.class);
        if (!spec.name().equals("help") && (spec.name().equals(a) || List.of(spec.aliases()).contains(a))) {
          cl.addSubcommand(c);
          return cl;
        }
      }
      break; // an option's value or an unknown command: let picocli say so with every command listed
    }
    for (Class<?> c : SUBCOMMANDS) {
      cl.addSubcommand(c);
    }
    return cl;
  }

  /**
   * A failure no command reported itself: printed, exit {@link #CLUSTER_ERROR}. A class, not a
   * lambda: a lambda of a picocli (Java 5) interface keeps picocli out of the class-data archive.
   */
  static final class UnexpectedFailure implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception e, CommandLine commandLine, CommandLine.ParseResult parseResult) {
      commandLine.getErr().println("distkv: " + e);
      return CLUSTER_ERROR;
    }
  }

  /** Runs the command line; returns the exit code. */
  public static int run(String[] args, PrintWriter out, PrintWriter err) {
    CommandLine cl = commandLine(args);
    cl.setOut(out);
    cl.setErr(err);
    cl.setExecutionExceptionHandler(new UnexpectedFailure());
    int code = cl.execute(args);
    out.flush();
    err.flush();
    if (Boolean.getBoolean("distkv.cli.train")) {
      train();
    }
    return code;
  }

  /**
   * Loads what the other commands and output forms need, so the class-data archive scripts/distkv
   * makes from its first command (run with -Ddistkv.cli.train=true) serves every command.
   */
  static void train() {
    CommandLine all = new CommandLine(new DistKvCli());
    for (Class<?> c : SUBCOMMANDS) {
      all.addSubcommand(c);
    }
    all.parseArgs("status", "--partitions");
    Json.write(fields("text", "x", "bytes", new byte[] {(byte) 0xff}, "number", 1L, "flag", true, "none", null,
        "list", List.of(fields("nested", 2))));
    parseDuration("--timeout", "5s");
  }

  public static void main(String[] args) {
    System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
  }
}
