package io.distkv.common;

import io.distkv.common.error.InvalidArgumentException;
import java.util.regex.Pattern;

/**
 * A node's stable identity (from its config, {@code distkv.node.id}); survives restarts and address
 * changes, and is what placement and Raft configurations refer to.
 */
public record NodeId(String value) implements Comparable<NodeId> {
  private static final Pattern VALID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

  public NodeId {
    if (value == null || !VALID.matcher(value).matches()) {
      throw new InvalidArgumentException(
          "node id '" + value + "' is invalid: expected 1..64 chars of [A-Za-z0-9_.-], starting with a letter or digit");
    }
  }

  public static NodeId of(String value) {
    return new NodeId(value);
  }

  @Override
  public int compareTo(NodeId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
