package io.distkv.resp;

import static io.distkv.resp.RespCommands.done;
import static io.distkv.resp.RespCommands.integer;
import static io.distkv.resp.RespCommands.printable;
import static io.distkv.resp.RespCommands.text;

import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;

/**
 * The commands about the connection itself (docs/resp.md "Commands"): PING, ECHO, QUIT, HELLO,
 * AUTH, SELECT, CLIENT, READONLY, READWRITE. They change or report the {@link RespConnection}'s
 * state and never reach the cluster. AUTH logs in as a user of {@code distkv.auth.users} (AUTH user
 * password) or as the default user (a bare AUTH password, {@code distkv.resp.password}, role
 * admin). The default password is kept as its SHA-256, users' as PBKDF2 hashes; both are compared
 * in constant time.
 */
final class RespConnectionCommands {
  private final byte[] passwordSha256;
  private final Users users;

  RespConnectionCommands(String password, Users users) {
    this.passwordSha256 = password == null || password.isEmpty() ? null : sha256(password.getBytes(StandardCharsets.UTF_8));
    this.users = users;
  }

  /**
   * Logs {@code c} in as the user its TLS client certificate names (the subject's common name),
   * when {@code distkv.auth.users} has one of that name; otherwise changes nothing (the connection
   * logs in with AUTH, as without TLS). The CA vouches for the name, as etcd's client-cert-auth.
   */
  void identify(RespConnection c, javax.net.ssl.SSLSession session) {
    String cn = commonName(session);
    users.named(cn).ifPresent(u -> {
      c.user = u.name();
      c.role = u.role();
    });
  }

  /** The common name of the peer's certificate, or null if it presented none or has no CN. */
  static String commonName(javax.net.ssl.SSLSession session) {
    try {
      java.security.cert.Certificate[] chain = session.getPeerCertificates();
      List<String> cn = chain.length == 0 ? List.of() : io.distkv.common.config.TlsSettings.subject(chain[0], "CN");
      return cn.isEmpty() ? null : cn.get(cn.size() - 1);
    } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
      return null;
    }
  }

  boolean needsAuth() {
    return passwordSha256 != null || !users.isEmpty();
  }

  void registerIn(RespCommands table) {
    table.add("PING", -1, false, this::ping);
    table.add("ECHO", 2, false, (c, a) -> done(new RespReply.Bulk(a.get(1))));
    table.add("QUIT", -1, false, (c, a) -> {
      c.closing = true;
      return done(RespReply.OK);
    });
    table.add("HELLO", -1, false, this::hello);
    table.add("AUTH", -2, false, this::auth);
    table.add("SELECT", 2, false, this::select);
    table.add("CLIENT", -2, false, this::clientCommand);
    table.add("READONLY", 1, false, (c, a) -> {
      c.readOnly = true;
      return done(RespReply.OK);
    });
    table.add("READWRITE", 1, false, (c, a) -> {
      c.readOnly = false;
      return done(RespReply.OK);
    });
  }

  private CompletionStage<RespReply> ping(RespConnection c, List<byte[]> a) {
    if (a.size() > 2) {
      return done(RespReply.error("wrong number of arguments for 'ping' command"));
    }
    return done(a.size() == 2 ? new RespReply.Bulk(a.get(1)) : new RespReply.Simple("PONG"));
  }

  private CompletionStage<RespReply> hello(RespConnection c, List<byte[]> a) {
    int protocol = c.protocol;
    int i = 1;
    if (a.size() > 1) {
      long v;
      try {
        v = integer(a.get(1));
      } catch (RespCommands.RespArgumentException e) {
        return done(RespReply.error("Protocol version is not an integer or out of range"));
      }
      if (v != 2 && v != 3) {
        return done(new RespReply.Error("NOPROTO", "unsupported protocol version"));
      }
      protocol = (int) v;
      i = 2;
    }
    String name = null;
    while (i < a.size()) {
      String opt = text(a.get(i)).toUpperCase(Locale.ROOT);
      if (opt.equals("AUTH") && i + 2 < a.size()) {
        RespReply r = authenticate(c, text(a.get(i + 1)), a.get(i + 2));
        if (r instanceof RespReply.Error) {
          return done(r);
        }
        i += 3;
      } else if (opt.equals("SETNAME") && i + 1 < a.size()) {
        name = text(a.get(i + 1));
        i += 2;
      } else {
        return done(RespReply.error("Syntax error in HELLO option '" + opt + "'"));
      }
    }
    if (c.role == null) {
      return done(new RespReply.Error("NOAUTH", "HELLO must be called with the client already authenticated, "
          + "otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select "
          + "the RESP protocol version at the same time"));
    }
    if (name != null) {
      c.name = name;
    }
    c.protocol = protocol;
    return done(new RespReply.Map(List.of(
        RespReply.bulk("server"), RespReply.bulk("dist-kv"),
        RespReply.bulk("version"), RespReply.bulk(RespServer.VERSION),
        RespReply.bulk("proto"), new RespReply.Int(protocol),
        RespReply.bulk("id"), new RespReply.Int(c.id()),
        RespReply.bulk("mode"), RespReply.bulk("cluster"),
        RespReply.bulk("role"), RespReply.bulk("master"),
        RespReply.bulk("modules"), new RespReply.Array(List.of()))));
  }

  /** AUTH password (the default user) or AUTH user password. */
  private CompletionStage<RespReply> auth(RespConnection c, List<byte[]> a) {
    if (a.size() > 3) {
      return done(RespReply.error("syntax error"));
    }
    return done(authenticate(c, a.size() == 3 ? text(a.get(1)) : Users.DEFAULT_USER, a.get(a.size() - 1)));
  }

  private RespReply authenticate(RespConnection c, String user, byte[] password) {
    if (!needsAuth()) {
      return RespReply.error("AUTH <password> called without any password configured for the default user. "
          + "Are you sure your configuration is correct?");
    }
    Role role = null;
    if (user.equals(Users.DEFAULT_USER)) {
      if (passwordSha256 != null && MessageDigest.isEqual(passwordSha256, sha256(password))) {
        role = Role.ADMIN;
      }
    } else {
      role = users.authenticate(user, password).map(Users.User::role).orElse(null);
    }
    if (role == null) {
      return new RespReply.Error("WRONGPASS", "invalid username-password pair or user is disabled.");
    }
    c.user = user;
    c.role = role;
    return RespReply.OK;
  }

  private CompletionStage<RespReply> select(RespConnection c, List<byte[]> a) {
    long db = integer(a.get(1));
    return done(db == 0 ? RespReply.OK : RespReply.error("DB index is out of range (dist-kv has database 0 only)"));
  }

  private CompletionStage<RespReply> clientCommand(RespConnection c, List<byte[]> a) {
    String sub = text(a.get(1)).toUpperCase(Locale.ROOT);
    switch (sub) {
      case "SETNAME":
        if (a.size() != 3) {
          return done(RespReply.error("wrong number of arguments for 'client|setname' command"));
        }
        String name = text(a.get(2));
        if (name.chars().anyMatch(ch -> ch <= ' ' || ch > '~')) {
          return done(RespReply.error("Client names cannot contain spaces, newlines or special characters."));
        }
        c.name = name;
        return done(RespReply.OK);
      case "GETNAME":
        return done(c.name.isEmpty() ? RespReply.NULL : RespReply.bulk(c.name));
      case "ID":
        return done(new RespReply.Int(c.id()));
      case "SETINFO": // client libraries announce their name and version on connect
        return done(RespReply.OK);
      case "INFO":
        return done(RespReply.bulk("id=" + c.id() + " addr=" + c.remote() + " name=" + c.name + " db=0 resp="
            + c.protocol + (c.readOnly ? " flags=r" : " flags=N") + "\n"));
      default:
        return done(RespReply.error("unknown subcommand '" + printable(a.get(1)) + "'. Try CLIENT HELP."));
    }
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
