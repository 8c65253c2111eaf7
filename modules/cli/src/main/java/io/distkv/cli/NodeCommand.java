package io.distkv.cli;

import static io.distkv.cli.DistKvCli.NOT_FOUND_OR_FAILED;
import static io.distkv.cli.DistKvCli.report;

import io.distkv.cli.DistKvCli.Target;
import io.distkv.cli.RespLink.CliFailure;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Base of the subcommands: one RESP connection for the duration of one command, and its output. */
abstract class NodeCommand implements Callable<Integer> {
  @ParentCommand
  DistKvCli parent;

  @Spec
  CommandLine.Model.CommandSpec spec;

  Target target;
  private boolean json;

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  boolean json() {
    return json;
  }

  /** Prints the command's result: {@code fields} as one JSON object, or {@code text} as it is. */
  void print(Map<String, Object> fields, String text) {
    if (json) {
      out().println(Json.write(fields));
    } else if (text != null) {
      out().println(text);
    }
  }

  /** A condition that failed (exit 1): JSON on standard output, text on standard error. */
  int failed(Map<String, Object> fields, String text) {
    if (json) {
      out().println(Json.write(fields));
    } else {
      err().println(text);
    }
    return NOT_FOUND_OR_FAILED;
  }

  /** How long this command may wait for its answer. */
  Duration answerTimeout() {
    return target.timeout();
  }

  abstract int run(RespLink node);

  @Override
  public Integer call() {
    try {
      json = parent.json();
      target = parent.target();
      try (RespLink node = RespLink.connect(target, answerTimeout())) {
        return run(node);
      }
    } catch (CliFailure e) {
      report(spec, json, e);
      return e.exitCode;
    }
  }
}
