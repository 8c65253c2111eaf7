package io.distkv.cli;

import static io.distkv.cli.DistKvCli.OK;
import static io.distkv.cli.DistKvCli.fields;
import static io.distkv.cli.DistKvCli.number;
import static io.distkv.cli.DistKvCli.text;
import static io.distkv.cli.DistKvCli.utf8;
import static io.distkv.cli.DistKvCli.value;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The commands on keys: put, get, del, cas, scan (DKV.SET, DKV.GETV, DKV.DEL, DKV.CAS, DKV.SCAN). */
final class KeyCommands {
  private KeyCommands() {}

  /** A write that applied: "OK version N" (JSON: applied, version). */
  static int written(NodeCommand c, long version) {
    c.print(fields("applied", true, "version", version), "OK version " + version);
    return OK;
  }

  /** DKV.CAS's [applied, version]: written, or exit 1 with "{refusal}: current version is N". */
  static int casAnswer(NodeCommand c, Object reply, String refusal) {
    List<?> r = (List<?>) reply;
    long version = number(r.get(1));
    if (number(r.get(0)) == 0) {
      return c.failed(fields("applied", false, "version", version), refusal + ": current version is " + version);
    }
    return written(c, version);
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "Write VALUE under KEY; prints the new version.")
  static final class Put extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Option(names = "--if-absent", description = "Only if KEY has no value (exit 1 if it has).")
    boolean ifAbsent;

    @Override
    int run(RespLink node) {
      byte[] bytes = value(value, valueFile, System.in);
      if (ifAbsent) {
        return casAnswer(this, node.call("DKV.CAS", utf8(key), 0, bytes), "exists");
      }
      return written(this, number(node.call("DKV.SET", utf8(key), bytes)));
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true, description = "Print KEY's value (exit 1 if absent).")
  static final class Get extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Option(names = "--eventual", description = "Read a replica's current state (may be stale; works without a quorum).")
    boolean eventual;

    @Option(names = "--show-version", description = "Also print the value's version (a second line).")
    boolean showVersion;

    @Override
    int run(RespLink node) {
      if (eventual) {
        node.readOnly();
      }
      Object r = node.call("DKV.GETV", utf8(key));
      if (r == null) {
        return failed(fields("key", key, "found", false), "not found: " + key);
      }
      List<?> pair = (List<?>) r;
      byte[] value = (byte[]) pair.get(0);
      long version = number(pair.get(1));
      print(fields("key", key, "found", true, "value", value, "version", version),
          new String(value, StandardCharsets.UTF_8) + (showVersion ? "\nversion " + version : ""));
      return OK;
    }
  }

  @Command(name = "del", aliases = "delete", mixinStandardHelpOptions = true, description = "Delete KEY (absent is fine).")
  static final class Del extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Override
    int run(RespLink node) {
      return written(this, number(node.call("DKV.DEL", utf8(key))));
    }
  }

  @Command(name = "cas", mixinStandardHelpOptions = true,
      description = "Write VALUE only if KEY's version is EXPECTED_VERSION (0 = absent); exit 1 on conflict.")
  static final class Cas extends NodeCommand {
    @Parameters(index = "0", paramLabel = "KEY")
    String key;

    @Parameters(index = "1", paramLabel = "EXPECTED_VERSION")
    long expected;

    @Parameters(index = "2", paramLabel = "VALUE", arity = "0..1")
    String value;

    @Option(names = "--value-file", paramLabel = "FILE", description = "Read the value from FILE (- = standard input) instead of VALUE.")
    String valueFile;

    @Override
    int run(RespLink node) {
      return casAnswer(this, node.call("DKV.CAS", utf8(key), expected, value(value, valueFile, System.in)), "conflict");
    }
  }

  @Command(name = "scan", mixinStandardHelpOptions = true,
      description = "Print live keys in [--from, --to) in key order as KEY<TAB>VALUE lines, one page; "
          + "if there is more, prints the --after token to resume with (on stderr).")
  static final class Scan extends NodeCommand {
    @Option(names = "--from", paramLabel = "KEY", description = "First key (inclusive); default the first key.")
    String from;

    @Option(names = "--to", paramLabel = "KEY", description = "End key (exclusive); default after the last key.")
    String to;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100", description = "Most entries (1..10000, default ${DEFAULT-VALUE}).")
    int limit;

    @Option(names = "--after", paramLabel = "TOKEN", description = "Continue a previous scan from its token (replaces --from).")
    String after;

    @Option(names = "--eventual", description = "Read replicas' current state (may be stale).")
    boolean eventual;

    @Option(names = "--show-version", description = "Add each entry's version as a third column.")
    boolean showVersion;

    @Override
    int run(RespLink node) {
      if (eventual) {
        node.readOnly();
      }
      List<Object> args = new ArrayList<>();
      if (after != null) {
        args.addAll(List.of("AFTER", after));
      } else if (from != null) {
        args.addAll(List.of("FROM", utf8(from)));
      }
      if (to != null) {
        args.addAll(List.of("TO", utf8(to)));
      }
      args.addAll(List.of("COUNT", limit));
      List<?> page = (List<?>) node.call("DKV.SCAN", args.toArray());
      String next = text(page.get(0));
      List<Object> entries = new ArrayList<>();
      StringBuilder lines = new StringBuilder();
      for (Object o : (List<?>) page.get(1)) {
        List<?> e = (List<?>) o;
        long version = number(e.get(2));
        entries.add(fields("key", e.get(0), "value", e.get(1), "version", version));
        lines.append(text(e.get(0))).append('\t').append(text(e.get(1))).append(showVersion ? "\t" + version : "")
            .append('\n');
      }
      if (json()) {
        print(fields("entries", entries, "next", next.isEmpty() ? null : next), null);
        return OK;
      }
      out().print(lines);
      out().flush();
      if (!next.isEmpty()) {
        err().println("more: distkv scan --after " + next + (to != null ? " --to " + to : "") + " --limit " + limit);
      }
      return OK;
    }
  }
}
