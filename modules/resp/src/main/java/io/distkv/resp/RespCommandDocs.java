package io.distkv.resp;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What COMMAND DOCS answers for each command: a summary, its group and its arguments, as Redis 7
 * gives them (redis-cli builds its argument hints and `help` from them). The arguments come from
 * a syntax line such as {@code key value [NX|XX] [GET]}: lower-case words are arguments ("key"
 * ones are keys, "..." repeats), upper-case words are tokens, [..] is optional, a|b is one of.
 */
final class RespCommandDocs {
  record Doc(String summary, String group, String syntax) {}

  private static final Map<String, Doc> DOCS = new HashMap<>();

  private static void doc(String name, String group, String syntax, String summary) {
    DOCS.put(name, new Doc(summary, group, syntax));
  }

  static {
    doc("PING", "connection", "[message]", "Returns PONG, or the message.");
    doc("ECHO", "connection", "message", "Returns the message.");
    doc("QUIT", "connection", "", "Closes the connection after the reply.");
    doc("HELLO", "connection", "[protover [AUTH username password] [SETNAME clientname]]",
        "Handshake: switches to RESP2 or RESP3, optionally authenticates and names the connection.");
    doc("AUTH", "connection", "[username] password", "Authenticates the connection (distkv.resp.password).");
    doc("SELECT", "connection", "index", "Selects database 0, the only one.");
    doc("CLIENT", "connection", "SETNAME|GETNAME|ID|INFO [clientname]", "Names the connection or reports on it.");
    doc("READONLY", "cluster", "", "Reads on this connection go to the local replica (eventual, may be stale).");
    doc("READWRITE", "cluster", "", "Reads on this connection are linearizable again (the default).");
    doc("CLUSTER", "cluster", "SLOTS|SHARDS|NODES|INFO|MYID|KEYSLOT [key]",
        "Redis Cluster's map (with distkv.hash-tags): each partition a slot range, its leader the master.");
    doc("COMMAND", "server", "[COUNT|DOCS|INFO [command-name ...]]", "Lists the commands, their arity and key positions.");
    doc("INFO", "server", "[section ...]", "Server, clients, stats, keyspace and cluster sections.");
    doc("DBSIZE", "server", "", "Counts the live keys (reads the whole keyspace).");
    doc("GET", "string", "key", "Returns the key's value, or nil.");
    doc("STRLEN", "string", "key", "Returns the length of the key's value (0 if absent).");
    doc("EXISTS", "keyspace", "key ...", "Counts the given keys that exist.");
    doc("MGET", "string", "key ...", "Returns the values of the keys (nil for absent ones).");
    doc("SET", "string", "key value [NX|XX] [GET]",
        "Sets the key's value; NX only if absent, XX only if present, GET returns the old value.");
    doc("SETNX", "string", "key value", "Sets the key's value only if it is absent; 1 if set.");
    doc("DEL", "keyspace", "key ...", "Deletes the keys; returns how many existed.");
    doc("UNLINK", "keyspace", "key ...", "The same as DEL.");
    doc("MSET", "string", "key value [key value ...]",
        "Sets the keys atomically when all are in one partition (use a {hash tag}); CROSSSLOT otherwise.");
    doc("INCR", "string", "key", "Adds 1 to the key's integer value (one linearizable command).");
    doc("DECR", "string", "key", "Subtracts 1 from the key's integer value.");
    doc("INCRBY", "string", "key increment", "Adds the increment to the key's integer value.");
    doc("DECRBY", "string", "key decrement", "Subtracts the decrement from the key's integer value.");
    doc("SCAN", "keyspace", "cursor [MATCH pattern] [COUNT count] [TYPE type]",
        "Iterates the keys in key order; the cursor is a continuation token, 0 starts and ends.");
    doc("DKV.GETV", "dist-kv", "key", "Returns [value, version], or nil.");
    doc("DKV.SET", "dist-kv", "key value", "Sets the key's value; returns its new version.");
    doc("DKV.CAS", "dist-kv", "key expected-version value",
        "Sets the value only if the key's version is expected-version (0 = absent); returns [applied, version].");
    doc("DKV.DEL", "dist-kv", "key", "Deletes the key; returns the version of the deletion.");
    doc("DKV.BATCH", "dist-kv", "op [op ...] (SET key value | DEL key | SETNX key value | CAS key version value)",
        "Applies the ops atomically (one partition); returns [applied, version] (0 = a condition failed, nothing written).");
    doc("DKV.SCAN", "dist-kv", "[FROM key] [AFTER token] [TO key] [COUNT count]",
        "One page of [key, value, version] in [FROM, TO), and the token of the next page (\"\" = none).");
    doc("DKV.PARTITION", "dist-kv", "key", "Returns the key's partition.");
    doc("DKV.LEADER", "dist-kv", "key", "Returns the node leading the key's partition, or nil.");
    doc("DKV.STATUS", "dist-kv", "", "Nodes, partitions, their leaders and states, as this node sees them.");
    doc("DKV.TRANSFERLEADER", "dist-kv", "partition node", "Hands the partition's leadership to the node.");
    doc("DKV.ADDNODE", "dist-kv", "node", "Places replicas on a node that joined; returns when every move is done.");
    doc("DKV.REMOVENODE", "dist-kv", "node", "Moves every replica off the node; returns when done.");
    doc("DKV.REBALANCE", "dist-kv", "", "Brings every partition's replicas in line with the placement.");
    doc("DKV.BACKUP.BEGIN", "dist-kv", "", "Starts a backup: returns [backup id, partition count, hash tags 1|0].");
    doc("DKV.BACKUP.PARTITION", "dist-kv", "id partition",
        "The partition's leader checkpoints it after a read barrier: [node, index, [[file, size, sha256], ...]].");
    doc("DKV.BACKUP.READ", "dist-kv", "node id partition file offset length",
        "Up to length (at most 1 MiB) bytes of a checkpoint file, read on the node that holds it.");
    doc("DKV.BACKUP.END", "dist-kv", "id", "Deletes the backup's checkpoints on every node.");
  }

  private RespCommandDocs() {}

  /** The COMMAND DOCS entry of {@code name} (upper case): a map of summary, since, group, complexity, arguments. */
  static RespReply of(String name) {
    Doc d = DOCS.getOrDefault(name, new Doc("See docs/resp.md.", "generic", ""));
    return new RespReply.Map(List.of(RespReply.bulk("summary"), RespReply.bulk(d.summary()),
        RespReply.bulk("since"), RespReply.bulk("1.0.0"),
        RespReply.bulk("group"), RespReply.bulk(d.group()),
        RespReply.bulk("arguments"), new RespReply.Array(arguments(d.syntax()))));
  }

  /** Whether {@code name} has a written entry (a test checks every command has). */
  static boolean documented(String name) {
    return DOCS.containsKey(name);
  }

  /** The arguments of a syntax line, each a map of name, type and flags. */
  static List<RespReply> arguments(String syntax) {
    List<RespReply> out = new ArrayList<>();
    String s = syntax.trim().replace(" ...", "..."); // "key ..." repeats key
    int i = 0;
    while (i < s.length()) {
      if (s.charAt(i) == ' ') {
        i++;
        continue;
      }
      boolean optional = s.charAt(i) == '[';
      int end;
      String body;
      if (optional) {
        end = closing(s, i);
        body = s.substring(i + 1, end);
        end++;
      } else {
        end = s.indexOf(' ', i);
        end = end < 0 ? s.length() : end;
        body = s.substring(i, end);
      }
      out.add(argument(body.trim(), optional));
      i = end;
    }
    return out;
  }

  private static int closing(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      if (s.charAt(i) == '[') {
        depth++;
      } else if (s.charAt(i) == ']' && --depth == 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("unbalanced [ in " + s);
  }

  private static RespReply argument(String body, boolean optional) {
    boolean multiple = body.endsWith("...");
    String core = multiple ? body.substring(0, body.length() - 3).trim() : body;
    List<RespReply> fields = new ArrayList<>();
    if (core.contains(" ")) { // a block: a token and its arguments, or several arguments
      fields.addAll(List.of(RespReply.bulk("name"), RespReply.bulk(core.split(" ")[0].toLowerCase(Locale.ROOT)),
          RespReply.bulk("type"), RespReply.bulk("block"),
          RespReply.bulk("arguments"), new RespReply.Array(arguments(core))));
    } else if (core.contains("|")) {
      List<RespReply> choices = new ArrayList<>();
      for (String t : core.split("\\|")) {
        choices.add(new RespReply.Map(List.of(RespReply.bulk("name"), RespReply.bulk(t.toLowerCase(Locale.ROOT)),
            RespReply.bulk("type"), RespReply.bulk("pure-token"), RespReply.bulk("token"), RespReply.bulk(t))));
      }
      fields.addAll(List.of(RespReply.bulk("name"), RespReply.bulk("option"), RespReply.bulk("type"), RespReply.bulk("oneof"),
          RespReply.bulk("arguments"), new RespReply.Array(choices)));
    } else if (core.equals(core.toUpperCase(Locale.ROOT)) && Character.isLetter(core.charAt(0))) {
      fields.addAll(List.of(RespReply.bulk("name"), RespReply.bulk(core.toLowerCase(Locale.ROOT)),
          RespReply.bulk("type"), RespReply.bulk("pure-token"), RespReply.bulk("token"), RespReply.bulk(core)));
    } else {
      String type = core.equals("key") ? "key" : core.matches("increment|decrement|count|index|partition|expected-version|protover")
          ? "integer" : "string";
      fields.addAll(List.of(RespReply.bulk("name"), RespReply.bulk(core), RespReply.bulk("type"), RespReply.bulk(type)));
    }
    List<RespReply> flags = new ArrayList<>();
    if (optional) {
      flags.add(new RespReply.Simple("optional"));
    }
    if (multiple) {
      flags.add(new RespReply.Simple("multiple"));
    }
    if (!flags.isEmpty()) {
      fields.addAll(List.of(RespReply.bulk("flags"), new RespReply.Array(flags)));
    }
    return new RespReply.Map(fields);
  }
}
