package io.distkv.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import io.distkv.common.protocol.RespWire;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * One RESP2 connection of the command line to a node: the first endpoint that accepts it, in the
 * order given. No ActorSystem and no cluster membership, so a command costs a JVM start and a
 * round trip or two, and a node notices only a closed socket. RESP2 is small enough to speak
 * here directly: a Redis client library (Jedis) cost 80 ms of start-up per command, a quarter of
 * the CLI's budget (docs/cli.md).
 */
final class RespLink implements AutoCloseable {
  /** A failure to report: the message and the exit code it maps to. */
  static final class CliFailure extends RuntimeException {
    final int exitCode;

    CliFailure(int exitCode, String message) {
      super(message, null, false, false);
      this.exitCode = exitCode;
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String endpoint;

  private RespLink(Socket socket, String endpoint) throws IOException {
    this.socket = socket;
    this.in = new BufferedInputStream(socket.getInputStream(), 1 << 16);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 1 << 16);
    this.endpoint = endpoint;
  }

  /** Connects to {@code target}'s endpoints as its user, waiting up to {@code timeout} for each answer. */
  static RespLink connect(DistKvCli.Target target, Duration timeout) {
    return connect(target.endpoints(), target.user(), target.password(), timeout, target.tls());
  }

  /**
   * Connects to the first of {@code endpoints} ("host:port" of RESP ports) that answers, and
   * authenticates when {@code password} is set (AUTH user password, or AUTH password when {@code
   * user} is empty); {@code timeout} bounds the connect and each answer.
   * With {@code tls} (null = plain TCP) it speaks TLS, presenting the context's certificate.
   */
  static RespLink connect(List<String> endpoints, String user, String password, Duration timeout,
      javax.net.ssl.SSLContext tls) {
    List<String> failures = new ArrayList<>();
    for (String e : endpoints) {
      int colon = checkEndpoint(e);
      Socket s = null;
      try {
        s = RespWire.connect(e.substring(0, colon), Integer.parseInt(e.substring(colon + 1)), tls,
            (int) Math.min(timeout.toMillis(), 10_000));
        s.setSoTimeout((int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
        RespLink link = new RespLink(s, e);
        if (password != null && !password.isEmpty()) {
          try {
            if (user == null || user.isEmpty()) {
              link.call("AUTH", password);
            } else {
              link.call("AUTH", user, password);
            }
          } catch (CliFailure refused) { // another node would refuse it too
            link.close();
            throw new CliFailure(DistKvCli.USAGE, e + ": " + refused.getMessage());
          }
        }
        return link;
      } catch (IOException ex) {
        closeQuietly(s);
        failures.add(e + " (" + ex.getMessage() + ")");
      }
    }
    throw new CliFailure(DistKvCli.CLUSTER_ERROR, "cannot reach a node at " + String.join(", ", failures));
  }

  /** Where the port starts in "host:port"; anything else is a usage error naming the text. */
  static int checkEndpoint(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0 || colon == endpoint.length() - 1) {
      throw new CliFailure(DistKvCli.USAGE, "endpoint '" + endpoint + "' is not host:port");
    }
    try {
      int port = Integer.parseInt(endpoint.substring(colon + 1));
      if (port < 1 || port > 65_535) {
        throw new NumberFormatException();
      }
      return colon;
    } catch (NumberFormatException ex) {
      throw new CliFailure(DistKvCli.USAGE, "endpoint '" + endpoint + "': the port must be 1..65535");
    }
  }

  String endpoint() {
    return endpoint;
  }

  /** Lets this connection's reads go to the node's local replica (READONLY: eventual, may be stale). */
  void readOnly() {
    call("READONLY");
  }

  /**
   * Sends one command (arguments: byte[] as they are, anything else as its UTF-8 text) and returns
   * its answer: String (status), Long, byte[] or null (bulk), List (array); an error reply throws
   * {@link CliFailure}.
   */
  Object call(String command, Object... args) {
    Object[] parts = new Object[args.length + 1];
    parts[0] = command;
    System.arraycopy(args, 0, parts, 1, args.length);
    Object reply;
    try {
      RespWire.writeCommand(out, parts);
      out.flush();
      reply = RespWire.read(in);
    } catch (SocketTimeoutException e) {
      throw new CliFailure(DistKvCli.CLUSTER_ERROR, endpoint + ": no answer within the timeout");
    } catch (IOException e) {
      throw new CliFailure(DistKvCli.CLUSTER_ERROR, endpoint + ": " + e.getMessage());
    }
    if (reply instanceof RespWire.Error error) {
      throw new CliFailure(exitCodeOf(error.message()), error.message());
    }
    return reply;
  }

  /**
   * A node's error reply → exit code: its own argument errors (ERR INVALID_ARGUMENT, syntax, wrong
   * number of arguments) are usage errors; anything the cluster could not do (READONLY,
   * CLUSTERDOWN, TRYAGAIN, BUSY, ERR TIMEOUT...) is a cluster error; NOPERM (the user's role may
   * not run the command) is its own.
   */
  static int exitCodeOf(String error) {
    if (error == null) {
      return DistKvCli.CLUSTER_ERROR;
    }
    if (error.startsWith("NOPERM")) {
      return DistKvCli.PERMISSION_DENIED;
    }
    if (error.startsWith("ERR INVALID_ARGUMENT") || error.startsWith("ERR syntax error")
        || error.startsWith("ERR wrong number of arguments") || error.startsWith("ERR value is not an integer")
        || error.startsWith("ERR COUNT must be") || error.startsWith("ERR no partition")
        || error.startsWith("ERR expected version") || error.startsWith("NOAUTH") || error.startsWith("WRONGPASS")) {
      return DistKvCli.USAGE;
    }
    return DistKvCli.CLUSTER_ERROR;
  }

  private static void closeQuietly(Socket s) {
    if (s == null) {
      return; // RespWire.connect closed what it opened
    }
    try {
      s.close();
    } catch (IOException ignored) {
      // closing a socket that failed to connect
    }
  }

  @Override
  public void close() {
    closeQuietly(socket);
  }
}
