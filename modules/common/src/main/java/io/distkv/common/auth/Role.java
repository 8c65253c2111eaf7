package io.distkv.common.auth;

import java.util.Locale;

/**
 * What a user may do (docs/security.md "Users and roles"). Each role includes the ones before it:
 * {@code read-only} reads; {@code read-write} also writes; {@code admin} also changes the cluster
 * (add-node, remove-node, leader transfer, rebalance).
 */
public enum Role {
  READ_ONLY, READ_WRITE, ADMIN;

  /** Whether this role may do what {@code needed} may. */
  public boolean allows(Role needed) {
    return compareTo(needed) >= 0;
  }

  /** The name used in config and messages: read-only, read-write, admin. */
  public String label() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The role named {@code label} (read-only, read-write, admin), or null if there is none. */
  public static Role parse(String label) {
    for (Role r : values()) {
      if (r.label().equals(label)) {
        return r;
      }
    }
    return null;
  }
}
