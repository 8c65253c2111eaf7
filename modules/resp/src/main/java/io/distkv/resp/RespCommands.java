package io.distkv.resp;

import io.distkv.client.DistKvClient;
import io.distkv.client.KeyValue;
import io.distkv.client.ScanPage;
import io.distkv.client.Versioned;
import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import io.distkv.common.error.DistKvException;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.protocol.ClientProtocol;
import io.distkv.common.protocol.Consistency;
import io.distkv.common.protocol.ScanToken;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The Redis commands a node serves (docs/resp.md "Commands"), each carried out through the node's
 * embedded {@link DistKvClient}: routed to the partition's leader as a Java client's request
 * would be, linearizable unless the connection said READONLY. Conditional forms (SET NX/XX/GET,
 * INCR and friends) are compare-and-set loops on the key's version, so no update is lost between
 * connections. Thread-safe: one instance serves every connection of a node.
 */
public final class RespCommands {
  /**
   * A command: checks its arity, then runs. Its keys are the arguments from {@code firstKey} to
   * {@code lastKey} (-1 = the last argument) every {@code step}; firstKey 0 = no keys;
   * {@link #BARRIER} = it reads the whole keyspace. {@code needs}: the least role that may run it.
   */
  private record Command(String name, int arity, boolean write, Role needs, int firstKey, int lastKey, int step,
      Handler handler) {
    /** Redis's arity: n = exactly n words (with the name), -n = at least n. */
    boolean arityOk(int words) {
      return arity >= 0 ? words == arity : words >= -arity;
    }
  }

  @FunctionalInterface
  interface Handler {
    CompletionStage<RespReply> run(RespConnection c, List<byte[]> args);
  }

  /** How many times a compare-and-set loop retries when other writers keep winning. */
  static final int CAS_ATTEMPTS = 64;

  private final DistKvClient client;
  private final String nodeId;
  private final RespConnectionCommands connection;
  private final Map<String, Command> commands = new HashMap<>();
  private final AtomicLong commandsServed = new AtomicLong();
  private final AtomicLong connectionsOpen = new AtomicLong();
  private final AtomicLong connectionsTotal = new AtomicLong();
  private final long startedMillis = System.currentTimeMillis();

  /**
   * {@code password}: what a bare AUTH password must give (the default user, admin; null or empty =
   * none); {@code users}: who may log in with AUTH user password. With neither, no AUTH is asked.
   */
  public RespCommands(DistKvClient client, String nodeId, String password, Users users) {
    this(client, nodeId, password, users, null);
  }

  /** As above, serving the DKV.BACKUP commands through {@code backups} (null: they are refused). */
  public RespCommands(DistKvClient client, String nodeId, String password, Users users, RespBackups backups) {
    this(client, nodeId, password, users, backups, Map::of);
  }

  /**
   * As above; {@code respEndpoints} gives the RESP endpoints ("host:port") of the nodes serving
   * RESP now, by node id, for Redis Cluster's CLUSTER SLOTS, SHARDS and NODES.
   */
  public RespCommands(DistKvClient client, String nodeId, String password, Users users, RespBackups backups,
      java.util.function.Supplier<Map<String, String>> respEndpoints) {
    this.client = client;
    this.nodeId = nodeId;
    this.connection = new RespConnectionCommands(password, users);
    connection.registerIn(this);
    add("COMMAND", -1, false, this::command);
    add("INFO", -1, false, this::info);
    add("DBSIZE", 1, false, this::dbsize);
    add("GET", 2, false, (c, a) -> read(c, a.get(1)).thenApply(v -> v.<RespReply>map(x -> new RespReply.Bulk(x.value()))
        .orElse(RespReply.NULL)));
    add("STRLEN", 2, false, (c, a) -> read(c, a.get(1)).thenApply(v -> new RespReply.Int(v.map(x -> x.value().length)
        .orElse(0))));
    add("EXISTS", -2, false, this::exists);
    add("MGET", -2, false, this::mget);
    add("SET", -3, true, this::set);
    add("SETNX", 3, true, (c, a) -> client.putIfAbsent(a.get(1), a.get(2))
        .thenApply(r -> new RespReply.Int(r.applied() ? 1 : 0)));
    add("DEL", -2, true, this::del);
    add("UNLINK", -2, true, this::del);
    add("MSET", -3, true, this::mset);
    add("INCR", 2, true, (c, a) -> incrBy(a.get(1), 1));
    add("DECR", 2, true, (c, a) -> incrBy(a.get(1), -1));
    add("INCRBY", 3, true, (c, a) -> incrBy(a.get(1), integer(a.get(2))));
    add("DECRBY", 3, true, (c, a) -> {
      long by = integer(a.get(2));
      if (by == Long.MIN_VALUE) {
        throw new RespArgumentException("decrement would overflow");
      }
      return incrBy(a.get(1), -by);
    });
    add("SCAN", -2, false, this::scan);
    new RespDistKvCommands(client, nodeId).registerIn(this);
    new RespBackupCommands(backups).registerIn(this);
    new RespClusterCommands(client, nodeId, respEndpoints).registerIn(this);
  }

  /** The commands that change the cluster: the admin role only. */
  private static final java.util.Set<String> ADMIN_COMMANDS =
      java.util.stream.Stream.concat(java.util.stream.Stream.of("DKV.TRANSFERLEADER", "DKV.ADDNODE", "DKV.REMOVENODE",
          "DKV.REBALANCE"), RespBackupCommands.NAMES.stream()).collect(java.util.stream.Collectors.toUnmodifiableSet());

  /** {@link Command#firstKey} of a command that reads the whole keyspace (SCAN, DBSIZE). */
  private static final int BARRIER = -1;

  void add(String name, int arity, boolean write, Handler handler) {
    int first;
    int last = 1;
    int step = 1;
    switch (name) {
      case "GET", "STRLEN", "SET", "SETNX", "INCR", "DECR", "INCRBY", "DECRBY", "DKV.GETV", "DKV.SET", "DKV.CAS",
          "DKV.DEL", "DKV.PARTITION", "DKV.LEADER" -> first = 1;
      case "DEL", "UNLINK", "EXISTS", "MGET" -> {
        first = 1;
        last = -1;
      }
      case "MSET" -> {
        first = 1;
        last = -1;
        step = 2;
      }
      case "SCAN", "DBSIZE", "DKV.SCAN", "DKV.BATCH" -> first = BARRIER; // a batch's keys sit between its ops
      default -> first = 0;
    }
    Role needs = ADMIN_COMMANDS.contains(name) ? Role.ADMIN : write ? Role.READ_WRITE : Role.READ_ONLY;
    commands.put(name, new Command(name, arity, write, needs, first, last, step, handler));
  }

  /**
   * The keys request {@code args} touches: empty if none, null if it reads the whole keyspace.
   * A connection runs a request only after its earlier requests on the same keys (null: after all
   * of them), so a pipeline keeps Redis's order where it matters and runs the rest at once.
   */
  public List<byte[]> keysOf(List<byte[]> args) {
    Command cmd = commands.get(new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT));
    if (cmd == null || cmd.firstKey() == 0 || !cmd.arityOk(args.size())) {
      return List.of();
    }
    if (cmd.firstKey() == BARRIER) {
      return null;
    }
    int last = cmd.lastKey() < 0 ? args.size() - 1 : Math.min(cmd.lastKey(), args.size() - 1);
    List<byte[]> keys = new ArrayList<>();
    for (int i = cmd.firstKey(); i <= last; i += cmd.step()) {
      keys.add(args.get(i));
    }
    return keys;
  }

  /** A connection opened or closed (INFO clients). */
  public void connectionOpened() {
    connectionsOpen.incrementAndGet();
    connectionsTotal.incrementAndGet();
  }

  public void connectionClosed() {
    connectionsOpen.decrementAndGet();
  }

  /** Logs a TLS connection in as the user its client certificate names, if there is one (docs/security.md). */
  public void identify(RespConnection c, javax.net.ssl.SSLSession session) {
    connection.identify(c, session);
  }

  /** Whether the server asks for AUTH before anything else. */
  public boolean needsAuth() {
    return connection.needsAuth();
  }

  /** Runs one request of connection {@code c}; never completes exceptionally (errors are replies). */
  public CompletionStage<RespReply> execute(RespConnection c, List<byte[]> args) {
    commandsServed.incrementAndGet();
    String name = new String(args.get(0), StandardCharsets.UTF_8).toUpperCase(Locale.ROOT);
    Command cmd = commands.get(name);
    if (cmd == null) {
      return done(RespReply.error("unknown command '" + printable(args.get(0)) + "', with args beginning with: "
          + argsPreview(args)));
    }
    Role role = c.role;
    if (role == null && !name.equals("AUTH") && !name.equals("HELLO") && !name.equals("QUIT")) {
      return done(new RespReply.Error("NOAUTH", "Authentication required."));
    }
    if (role != null && !role.allows(cmd.needs())) {
      return done(new RespReply.Error("NOPERM", "PERMISSION_DENIED: user '" + c.user + "' has role " + role.label()
          + "; '" + name.toLowerCase(Locale.ROOT) + "' needs " + cmd.needs().label()));
    }
    if (!cmd.arityOk(args.size())) {
      return done(RespReply.error("wrong number of arguments for '" + name.toLowerCase(Locale.ROOT) + "' command"));
    }
    try {
      return cmd.handler().run(c, args).handle((r, t) -> t == null ? r : errorReply(t));
    } catch (RuntimeException e) {
      return done(errorReply(e));
    }
  }

  private static RespReply errorReply(Throwable t) {
    Throwable cause = RespErrors.cause(t);
    if (cause instanceof RespArgumentException e) {
      return RespReply.error(e.getMessage());
    }
    return RespErrors.of(cause);
  }

  /** COMMAND: what redis-cli asks at start for hints; each entry [name, arity, flags, first key, last key, step]. */
  private CompletionStage<RespReply> command(RespConnection c, List<byte[]> a) {
    if (a.size() > 1) {
      String sub = text(a.get(1)).toUpperCase(Locale.ROOT);
      if (sub.equals("COUNT")) {
        return done(new RespReply.Int(commands.size()));
      }
      if (sub.equals("DOCS")) {
        List<RespReply> docs = new ArrayList<>();
        for (Command cmd : sorted()) {
          if (a.size() > 2 && a.subList(2, a.size()).stream().noneMatch(n -> text(n).equalsIgnoreCase(cmd.name()))) {
            continue;
          }
          docs.add(RespReply.bulk(cmd.name().toLowerCase(Locale.ROOT)));
          docs.add(RespCommandDocs.of(cmd.name()));
        }
        return done(new RespReply.Map(docs));
      }
      if (!sub.equals("INFO")) {
        return done(RespReply.error("unknown subcommand '" + printable(a.get(1)) + "'. Try COMMAND HELP."));
      }
    }
    List<RespReply> all = new ArrayList<>();
    for (Command cmd : sorted()) {
      if (a.size() > 2 && a.subList(2, a.size()).stream().noneMatch(n -> text(n).equalsIgnoreCase(cmd.name()))) {
        continue;
      }
      boolean keyed = cmd.firstKey() > 0;
      all.add(new RespReply.Array(List.of(RespReply.bulk(cmd.name().toLowerCase(Locale.ROOT)), new RespReply.Int(cmd.arity()),
          new RespReply.Array(cmd.needs() == Role.ADMIN ? List.of(new RespReply.Simple("write"), new RespReply.Simple("admin"))
              : List.of(new RespReply.Simple(cmd.write() ? "write" : "readonly"))),
          new RespReply.Int(keyed ? cmd.firstKey() : 0), new RespReply.Int(keyed ? cmd.lastKey() : 0),
          new RespReply.Int(keyed ? cmd.step() : 0))));
    }
    return done(new RespReply.Array(all));
  }

  private List<Command> sorted() {
    List<Command> list = new ArrayList<>(commands.values());
    list.sort((x, y) -> x.name().compareTo(y.name()));
    return list;
  }

  private CompletionStage<RespReply> info(RespConnection c, List<byte[]> a) {
    List<String> wanted = new ArrayList<>();
    for (byte[] s : a.subList(1, a.size())) {
      wanted.add(text(s).toLowerCase(Locale.ROOT));
    }
    boolean all = wanted.isEmpty() || wanted.contains("all") || wanted.contains("everything") || wanted.contains("default");
    return client.clusterInfo().thenApply(info -> {
      StringBuilder out = new StringBuilder();
      if (all || wanted.contains("server")) {
        out.append("# Server\r\nredis_version:7.0.0\r\ndistkv_version:").append(RespServer.VERSION)
            .append("\r\nredis_mode:").append(info.hashTags() ? "cluster" : "standalone").append("\r\nnode_id:").append(nodeId)
            .append("\r\nuptime_in_seconds:").append((System.currentTimeMillis() - startedMillis) / 1000).append("\r\n\r\n");
      }
      if (all || wanted.contains("clients")) {
        out.append("# Clients\r\nconnected_clients:").append(connectionsOpen.get()).append("\r\n\r\n");
      }
      if (all || wanted.contains("stats")) {
        out.append("# Stats\r\ntotal_connections_received:").append(connectionsTotal.get())
            .append("\r\ntotal_commands_processed:").append(commandsServed.get()).append("\r\n\r\n");
      }
      if (all || wanted.contains("keyspace")) {
        // As Redis: a line for database 0 when it holds keys; the count is the leaders' (applied, not a linearizable read).
        long keys = info.partitions().stream().mapToLong(p -> Math.max(0, p.keys())).sum();
        out.append("# Keyspace\r\n");
        if (keys > 0) {
          out.append("db0:keys=").append(keys).append(",expires=0,avg_ttl=0\r\n");
        }
        out.append("\r\n");
      }
      if (all || wanted.contains("cluster")) {
        long led = info.partitions().stream().filter(p -> p.leader() != null).count();
        // cluster_enabled as Redis Cluster's clients and tools read it: the slot map (CLUSTER SLOTS) needs hash tags.
        out.append("# Cluster\r\ncluster_enabled:").append(info.hashTags() ? 1 : 0).append("\r\ncluster_nodes:").append(info.nodes().size())
            .append("\r\ncluster_partitions:").append(info.partitionCount())
            .append("\r\ncluster_partitions_with_leader:").append(led);
        for (ClientProtocol.NodeInfo n : info.nodes()) {
          out.append("\r\nnode_").append(n.id()).append(":address=").append(n.address()).append(",reachable=")
              .append(n.reachable() ? 1 : 0).append(",replicas=").append(n.replicas()).append(",leaders=")
              .append(n.leaders());
        }
        out.append("\r\n\r\n");
      }
      return (RespReply) RespReply.bulk(out.toString());
    });
  }

  /** DBSIZE: every live key counted by a scan (O(keys), as the whole keyspace is read). */
  private CompletionStage<RespReply> dbsize(RespConnection c, List<byte[]> a) {
    return countFrom(client.scan(null, null, ClientProtocol.MAX_SCAN_LIMIT, consistency(c)), 0)
        .thenApply(RespReply.Int::new);
  }

  private CompletionStage<Long> countFrom(CompletionStage<ScanPage> page, long before) {
    return page.thenCompose(p -> {
      long n = before + p.entries().size();
      return p.hasMore() ? countFrom(client.nextPage(p), n) : CompletableFuture.completedFuture(n);
    });
  }

  // ---- strings

  static Consistency consistency(RespConnection c) {
    return c.readOnly ? Consistency.EVENTUAL : Consistency.LINEARIZABLE;
  }

  private CompletionStage<Optional<Versioned>> read(RespConnection c, byte[] key) {
    return client.get(key, consistency(c));
  }

  private CompletionStage<RespReply> exists(RespConnection c, List<byte[]> a) {
    List<CompletableFuture<Optional<Versioned>>> reads = new ArrayList<>();
    for (byte[] k : a.subList(1, a.size())) {
      reads.add(read(c, k).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new))
        .thenApply(v -> new RespReply.Int(reads.stream().filter(r -> r.join().isPresent()).count()));
  }

  private CompletionStage<RespReply> mget(RespConnection c, List<byte[]> a) {
    List<CompletableFuture<Optional<Versioned>>> reads = new ArrayList<>();
    for (byte[] k : a.subList(1, a.size())) {
      reads.add(read(c, k).toCompletableFuture());
    }
    return CompletableFuture.allOf(reads.toArray(CompletableFuture[]::new)).thenApply(v -> {
      List<RespReply> values = new ArrayList<>();
      for (CompletableFuture<Optional<Versioned>> r : reads) {
        values.add(r.join().<RespReply>map(x -> new RespReply.Bulk(x.value())).orElse(RespReply.NULL));
      }
      return new RespReply.Array(values);
    });
  }

  /** SET key value [NX|XX] [GET]; expiry options are refused until dist-kv has TTLs. */
  private CompletionStage<RespReply> set(RespConnection c, List<byte[]> a) {
    boolean nx = false;
    boolean xx = false;
    boolean get = false;
    for (byte[] o : a.subList(3, a.size())) {
      String opt = text(o).toUpperCase(Locale.ROOT);
      switch (opt) {
        case "NX" -> nx = true;
        case "XX" -> xx = true;
        case "GET" -> get = true;
        case "EX", "PX", "EXAT", "PXAT", "KEEPTTL" -> {
          return done(RespReply.error("SET " + opt + ": dist-kv keys do not expire (no TTLs yet)"));
        }
        default -> {
          return done(RespReply.error("syntax error"));
        }
      }
    }
    if (nx && xx) {
      return done(RespReply.error("syntax error"));
    }
    byte[] key = a.get(1);
    byte[] value = a.get(2);
    if (!nx && !xx && !get) {
      return client.put(key, value).thenApply(v -> RespReply.OK);
    }
    if (nx && !get) {
      return client.putIfAbsent(key, value).thenApply(r -> r.applied() ? RespReply.OK : RespReply.NULL);
    }
    boolean onlyIfAbsent = nx;
    boolean onlyIfPresent = xx;
    boolean returnOld = get;
    return casLoop(key, 0, current -> {
      if ((onlyIfAbsent && current.isPresent()) || (onlyIfPresent && current.isEmpty())) {
        return Step.answer(returnOld ? old(current) : RespReply.NULL);
      }
      return Step.write(value, returnOld ? old(current) : RespReply.OK);
    });
  }

  private static RespReply old(Optional<Versioned> current) {
    return current.<RespReply>map(v -> new RespReply.Bulk(v.value())).orElse(RespReply.NULL);
  }

  /** INCR and friends: one replicated command each (KvCommand INCREMENT), so no increment is lost. */
  private CompletionStage<RespReply> incrBy(byte[] key, long by) {
    return client.incrementBy(key, by).<RespReply>thenApply(RespReply.Int::new).exceptionally(t -> {
      Throwable cause = RespErrors.cause(t);
      if (cause instanceof io.distkv.common.error.InvalidArgumentException e) {
        return RespReply.error(RespErrors.detail(e)); // "value is not an integer or out of range", as Redis says it
      }
      return RespErrors.of(cause);
    });
  }

  /** What a compare-and-set loop does with the value it read: answer at once, or write and then answer. */
  private record Step(byte[] write, RespReply answer) {
    static Step answer(RespReply r) {
      return new Step(null, r);
    }

    static Step write(byte[] value, RespReply r) {
      return new Step(value, r);
    }
  }

  /**
   * Reads {@code key} (linearizable), decides, and writes conditioned on the version read (or on
   * absence); another writer in between makes it read again. The write that lands was decided on
   * the value it replaces.
   */
  private CompletionStage<RespReply> casLoop(byte[] key, int attempt,
      java.util.function.Function<Optional<Versioned>, Step> decide) {
    if (attempt == CAS_ATTEMPTS) {
      return done(new RespReply.Error("TRYAGAIN", "CONFLICT " + CAS_ATTEMPTS + " concurrent writers of the key won in a row"));
    }
    return client.get(key).thenCompose(current -> {
      Step step = decide.apply(current);
      if (step.write() == null) {
        return done(step.answer());
      }
      CompletionStage<io.distkv.client.WriteResult> w = current.isPresent()
          ? client.compareAndSet(key, current.get().version(), step.write())
          : client.putIfAbsent(key, step.write());
      return w.thenCompose(r -> r.applied() ? done(step.answer()) : casLoop(key, attempt + 1, decide));
    });
  }

  /** DEL/UNLINK: each key deleted by its own command, which says whether the key was there. */
  private CompletionStage<RespReply> del(RespConnection c, List<byte[]> a) {
    List<CompletableFuture<Integer>> deletes = new ArrayList<>();
    for (byte[] k : a.subList(1, a.size())) {
      deletes.add(client.remove(k).thenApply(existed -> existed ? 1 : 0).toCompletableFuture());
    }
    return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new))
        .thenApply(v -> new RespReply.Int(deletes.stream().mapToInt(CompletableFuture::join).sum()));
  }

  /**
   * MSET: atomic (one Raft entry) when every key is in one partition (hash tags put them there);
   * keys in several partitions are refused with CROSSSLOT, as Redis Cluster does, and nothing is
   * written.
   */
  private CompletionStage<RespReply> mset(RespConnection c, List<byte[]> a) {
    if (a.size() % 2 == 0) {
      return done(RespReply.error("wrong number of arguments for 'mset' command"));
    }
    int partition = -1;
    // A key set twice: the last value wins, as in Redis (a batch takes each key once).
    Map<java.nio.ByteBuffer, byte[]> values = new java.util.LinkedHashMap<>();
    for (int i = 1; i < a.size(); i += 2) {
      int p = client.partitionOf(a.get(i));
      if (partition >= 0 && p != partition) {
        return done(new RespReply.Error("CROSSSLOT", "Keys in request don't hash to the same partition (use a {hash tag})"));
      }
      partition = p;
      values.put(java.nio.ByteBuffer.wrap(a.get(i)), a.get(i + 1));
    }
    io.distkv.client.Batch batch = new io.distkv.client.Batch();
    values.forEach((k, v) -> batch.put(k.array(), v));
    return client.batch(batch).thenApply(r -> RespReply.OK);
  }

  /** SCAN cursor [MATCH pattern] [COUNT n]: the cursor is the continuation token ("0" = start, and the end). */
  private CompletionStage<RespReply> scan(RespConnection c, List<byte[]> a) {
    String cursor = text(a.get(1));
    Pattern match = null;
    int count = 10;
    for (int i = 2; i < a.size(); i += 2) {
      if (i + 1 >= a.size()) {
        return done(RespReply.error("syntax error"));
      }
      String opt = text(a.get(i)).toUpperCase(Locale.ROOT);
      if (opt.equals("MATCH")) {
        match = RespGlob.compile(text(a.get(i + 1)));
      } else if (opt.equals("COUNT")) {
        long n = integer(a.get(i + 1));
        if (n < 1) {
          return done(RespReply.error("syntax error"));
        }
        count = (int) Math.min(n, ClientProtocol.MAX_SCAN_LIMIT);
      } else if (opt.equals("TYPE")) {
        if (!text(a.get(i + 1)).equalsIgnoreCase("string")) {
          return done(new RespReply.Array(List.of(RespReply.bulk("0"), new RespReply.Array(List.of()))));
        }
      } else {
        return done(RespReply.error("syntax error"));
      }
    }
    byte[] start;
    if (cursor.equals("0")) {
      start = null;
    } else {
      try {
        start = ScanToken.decode(cursor);
      } catch (DistKvException e) {
        return done(RespReply.error("invalid cursor"));
      }
    }
    Pattern filter = match;
    return client.scan(start, null, count, consistency(c)).thenApply(page -> {
      List<RespReply> keys = new ArrayList<>();
      for (KeyValue kv : page.entries()) {
        if (filter == null || filter.matcher(new String(kv.key(), StandardCharsets.ISO_8859_1)).matches()) {
          keys.add(new RespReply.Bulk(kv.key()));
        }
      }
      String next = page.hasMore() ? page.continuation() : "0";
      return new RespReply.Array(List.of(RespReply.bulk(next), new RespReply.Array(keys)));
    });
  }

  // ---- plumbing

  /** A bad argument of a command (not a dist-kv error): answered {@code -ERR message}. */
  static final class RespArgumentException extends RuntimeException {
    RespArgumentException(String message) {
      super(message, null, false, false);
    }
  }

  static long integer(byte[] b) {
    try {
      return Long.parseLong(new String(b, StandardCharsets.US_ASCII));
    } catch (NumberFormatException e) {
      throw new RespArgumentException("value is not an integer or out of range");
    }
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static String printable(byte[] b) {
    String s = new String(b, 0, Math.min(b.length, 128), StandardCharsets.UTF_8);
    return s.replaceAll("[\\p{Cntrl}]", "?");
  }

  private static String argsPreview(List<byte[]> args) {
    StringBuilder s = new StringBuilder();
    for (byte[] arg : args.subList(1, Math.min(args.size(), 4))) {
      s.append('\'').append(printable(arg)).append("' ");
    }
    return s.toString();
  }

  static CompletionStage<RespReply> done(RespReply r) {
    return CompletableFuture.completedFuture(r);
  }

}
