package io.distkv.verify;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One client operation of a history: what was asked, what came back and when (nanoseconds on one
 * monotonic clock from the start of the run). One JSON line per operation in a history file
 * (docs/verification.md "History format").
 *
 * @param process the logical client that ran it (each has its own session)
 * @param type what it did
 * @param key the key
 * @param value the value written (PUT, CAS, SET_ADD) or read (GET, EVENTUAL_GET, SET_READ); null = absent
 * @param expectedVersion a CAS's expected version (0 = absent), else null
 * @param expectedValue the value the CAS's preceding read saw at {@code expectedVersion} (null = absent)
 * @param outcome ok, fail (definitely not applied) or unknown (may or may not have applied)
 * @param error the error code's name when not ok, else null
 * @param version the version the system returned: a write's new version, a read's version (0 =
 *     absent), a refused CAS's current version; -1 when nothing came back
 * @param invokeNanos when the client sent it
 * @param completeNanos when the answer (or the client's give-up) came
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Op(int process, Type type, String key, String value, Long expectedVersion, String expectedValue,
    Outcome outcome, String error, long version, long invokeNanos, long completeNanos) {

  /** What an operation did. */
  public enum Type {
    /** Write of a value unique in the run. */
    PUT,
    /** Linearizable read. */
    GET,
    /** Compare-and-set on the version read just before. */
    CAS,
    DELETE,
    /** Read of one replica's state, possibly stale; checked only for values never written. */
    EVENTUAL_GET,
    /** Set workload: adds a unique element (a put of a key of its own). */
    SET_ADD,
    /** Set workload: the final linearizable read of one element after healing. */
    SET_READ;

    boolean isWrite() {
      return this == PUT || this == CAS || this == DELETE || this == SET_ADD;
    }
  }

  /** How an operation ended, as far as the client can know. */
  public enum Outcome {
    OK,
    /** Definitely not applied (an answer that proves it, such as a CAS conflict). */
    FAIL,
    /** Timed out or lost: it may have applied, at any time after its invocation, or never. */
    UNKNOWN
  }

  public boolean ok() {
    return outcome == Outcome.OK;
  }

  /** A refused compare-and-set: the state machine answered that the version did not match. */
  public boolean casConflict() {
    return type == Type.CAS && outcome == Outcome.FAIL && "CONFLICT".equals(error);
  }

  @Override
  public String toString() {
    StringBuilder b = new StringBuilder().append('c').append(process).append(' ').append(type).append(' ').append(key);
    switch (type) {
      case PUT, SET_ADD -> b.append(" := ").append(value);
      case CAS -> b.append(" if v").append(expectedVersion).append(" (").append(expectedValue).append(") := ").append(value);
      case GET, EVENTUAL_GET, SET_READ -> b.append(" -> ").append(value);
      default -> { }
    }
    b.append(" [").append(outcome);
    if (error != null) {
      b.append(' ').append(error);
    }
    if (version >= 0) {
      b.append(" v").append(version);
    }
    return b.append(String.format(" %.3f..%.3f s]", invokeNanos / 1e9, completeNanos / 1e9)).toString();
  }
}
