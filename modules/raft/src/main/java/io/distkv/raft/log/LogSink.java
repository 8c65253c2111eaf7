package io.distkv.raft.log;

import org.apache.pekko.actor.typed.ActorRef;

/** Where a replica hands its log appends: the node's {@link NodeLogWriter}, or in tests any actor that takes them. */
@FunctionalInterface
public interface LogSink {
  void append(NodeLogWriter.Append append);

  /** Appends told to {@code ref} as messages (a test's probe, or a writer reached only by actor). */
  static LogSink of(ActorRef<? super NodeLogWriter.Append> ref) {
    return ref::tell;
  }
}
