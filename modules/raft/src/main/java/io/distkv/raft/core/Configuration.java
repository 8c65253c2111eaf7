package io.distkv.raft.core;

import io.distkv.common.error.InvalidArgumentException;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Collections;
import java.util.Set;
import java.util.TreeSet;

/**
 * A group's membership: voters (count for elections and commits) and learners (receive the log,
 * never vote). Changed one server at a time (§4.1 of the Raft thesis, see docs/raft.md), so any
 * two consecutive configurations' majorities overlap.
 */
public record Configuration(Set<String> voters, Set<String> learners) {
  public Configuration {
    voters = Collections.unmodifiableSet(new TreeSet<>(voters));
    learners = Collections.unmodifiableSet(new TreeSet<>(learners));
    for (String l : learners) {
      if (voters.contains(l)) {
        throw new InvalidArgumentException("replica " + l + " cannot be both voter and learner");
      }
    }
  }

  public static Configuration ofVoters(String... voters) {
    return new Configuration(Set.of(voters), Set.of());
  }

  public boolean isVoter(String id) {
    return voters.contains(id);
  }

  public boolean contains(String id) {
    return voters.contains(id) || learners.contains(id);
  }

  /** Every member, voters first. */
  public Set<String> members() {
    Set<String> all = new TreeSet<>(voters);
    all.addAll(learners);
    return all;
  }

  /** The configuration after {@code change}, or an {@link InvalidArgumentException} saying why not. */
  public Configuration apply(ConfChange change) {
    Set<String> v = new TreeSet<>(voters);
    Set<String> l = new TreeSet<>(learners);
    String id = change.replica();
    switch (change.type()) {
      case ADD_LEARNER -> {
        if (contains(id)) {
          throw new InvalidArgumentException("replica " + id + " is already a member");
        }
        l.add(id);
      }
      case PROMOTE -> {
        if (!learners.contains(id)) {
          throw new InvalidArgumentException("replica " + id + " is not a learner, cannot promote");
        }
        l.remove(id);
        v.add(id);
      }
      case ADD_VOTER -> {
        if (contains(id)) {
          throw new InvalidArgumentException("replica " + id + " is already a member");
        }
        v.add(id);
      }
      case REMOVE -> {
        if (!contains(id)) {
          throw new InvalidArgumentException("replica " + id + " is not a member");
        }
        if (voters.contains(id) && voters.size() == 1) {
          throw new InvalidArgumentException("cannot remove the last voter " + id);
        }
        v.remove(id);
        l.remove(id);
      }
    }
    return new Configuration(v, l);
  }

  public byte[] encode() {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.writeInt(voters.size());
      for (String v : voters) {
        out.writeUTF(v);
      }
      out.writeInt(learners.size());
      for (String l : learners) {
        out.writeUTF(l);
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  public static Configuration decode(byte[] data) {
    try {
      DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(data));
      Set<String> v = new TreeSet<>();
      int nv = in.readInt();
      for (int i = 0; i < nv; i++) {
        v.add(in.readUTF());
      }
      Set<String> l = new TreeSet<>();
      int nl = in.readInt();
      for (int i = 0; i < nl; i++) {
        l.add(in.readUTF());
      }
      return new Configuration(v, l);
    } catch (IOException e) {
      throw new io.distkv.common.error.CorruptionException("malformed configuration entry: " + e.getMessage());
    }
  }
}
