package io.distkv.common.auth;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.distkv.common.config.ConfigReader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * The users a node knows ({@code distkv.auth.users}; docs/security.md "Users and roles"): each a
 * name, a {@link PasswordHash} and a {@link Role}. RESP clients log in as one with
 * {@code AUTH user password}.
 */
public final class Users {
  /** One user. */
  public record User(String name, PasswordHash password, Role role) {}

  public static final String PATH = "distkv.auth.users";
  /** Redis's name for the user of a bare {@code AUTH password}: dist-kv's is {@code distkv.resp.password}. */
  public static final String DEFAULT_USER = "default";
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.@-]{1,64}");
  private static final Set<String> ENTRY_KEYS = Set.of("name", "password-hash", "role");

  public static final Users NONE = new Users(Map.of());

  private final Map<String, User> byName;
  /**
   * SHA-256 of the password each user last logged in with: PBKDF2 (deliberately slow) runs once
   * per user and password, not once per connection.
   */
  private final Map<String, byte[]> verified = new ConcurrentHashMap<>();

  public Users(Map<String, User> byName) {
    this.byName = Map.copyOf(byName);
  }

  public boolean isEmpty() {
    return byName.isEmpty();
  }

  public int size() {
    return byName.size();
  }

  /** Every user, in no particular order. */
  public java.util.Collection<User> all() {
    return byName.values();
  }

  /** The user {@code name} if {@code password} is theirs. */
  /** The user named {@code name}, if configured (a TLS client certificate's common name logs in as it). */
  public Optional<User> named(String name) {
    return Optional.ofNullable(name == null ? null : byName.get(name));
  }

  public Optional<User> authenticate(String name, byte[] password) {
    User u = byName.get(name);
    if (u == null) {
      return Optional.empty();
    }
    byte[] digest = sha256(password);
    byte[] known = verified.get(name);
    if (known != null && MessageDigest.isEqual(known, digest)) {
      return Optional.of(u);
    }
    if (!u.password().matches(password)) {
      return Optional.empty();
    }
    verified.put(name, digest);
    return Optional.of(u);
  }

  /** Reads {@value #PATH}, recording each problem (with the entry's index) in {@code r}. */
  public static Users read(Config c, ConfigReader r) {
    if (!c.hasPath(PATH)) {
      return NONE;
    }
    List<? extends ConfigObject> entries;
    try {
      entries = c.getObjectList(PATH);
    } catch (ConfigException.WrongType e) {
      r.problems().add(PATH + ": expected a list of { name, password-hash, role } objects");
      return NONE;
    }
    Map<String, User> users = new LinkedHashMap<>();
    for (int i = 0; i < entries.size(); i++) {
      String at = PATH + "[" + i + "]";
      ConfigObject o = entries.get(i);
      for (String k : o.keySet()) {
        if (!ENTRY_KEYS.contains(k)) {
          r.problems().add(at + "." + k + ": unknown key (known: name, password-hash, role)");
        }
      }
      String name = text(o.get("name"));
      String hash = text(o.get("password-hash"));
      String roleLabel = text(o.get("role"));
      if (name == null || !NAME.matcher(name).matches()) {
        r.problems().add(at + ".name: expected 1..64 chars of [A-Za-z0-9_.@-]");
        continue;
      }
      if (name.equals(DEFAULT_USER)) {
        r.problems().add(at + ".name = default: reserved for distkv.resp.password (a bare AUTH password)");
        continue;
      }
      if (users.containsKey(name)) {
        r.problems().add(at + ".name = " + name + ": a second user of that name");
        continue;
      }
      Role role = roleLabel == null ? null : Role.parse(roleLabel);
      if (role == null) {
        r.problems().add(at + ".role" + (roleLabel == null ? "" : " = " + roleLabel)
            + ": expected read-only, read-write or admin");
      }
      PasswordHash password = null;
      if (hash == null) {
        r.problems().add(at + ".password-hash: is required (made by distkv hash-password)");
      } else {
        try {
          password = PasswordHash.parse(hash);
        } catch (IllegalArgumentException e) {
          r.problems().add(at + ".password-hash (user " + name + "): " + e.getMessage());
        }
      }
      if (role != null && password != null) {
        users.put(name, new User(name, password, role));
      }
    }
    return users.isEmpty() ? NONE : new Users(users);
  }

  private static String text(ConfigValue v) {
    return v != null && v.valueType() == ConfigValueType.STRING ? (String) v.unwrapped() : null;
  }

  private static byte[] sha256(byte[] b) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(b);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return byName.size() + " users";
  }
}
