package io.distkv.common.io;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free TCP ports for the nodes of test clusters and benchmarks started in or from this JVM.
 *
 * <p>A port is picked below the kernel's ephemeral range, not with {@code new ServerSocket(0)}:
 * outgoing connections take their local ports from that range (where ServerSocket(0) picks too),
 * so such a port can be taken by some connection in the seconds before its node binds it (seen: a
 * node's remote JMX never came up, and the verifier's nemesis could not inject its faults). No
 * port is handed out twice in one JVM, so two nodes started one after the other never get the
 * same port while the first has not bound it yet.
 */
public final class FreePorts {
  /** The lowest port handed out: below it sit well-known services and common development ports. */
  static final int LOWEST = 10_000;

  private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

  private FreePorts() {
  }

  /** A port on 127.0.0.1 free now, below the ephemeral range, not handed out before in this JVM. */
  public static int next() throws IOException {
    int below = ephemeralPortsStart();
    ThreadLocalRandom random = ThreadLocalRandom.current();
    for (int attempt = 0; attempt < 10_000; attempt++) {
      int port = random.nextInt(LOWEST, below);
      if (HANDED_OUT.contains(port)) {
        continue;
      }
      try (ServerSocket s = new ServerSocket()) {
        s.bind(new InetSocketAddress("127.0.0.1", port));
      } catch (IOException taken) {
        continue;
      }
      if (HANDED_OUT.add(port)) {
        return port;
      }
    }
    throw new IOException("no free port between " + LOWEST + " and " + below);
  }

  /** The first port of the kernel's ephemeral range (Linux: ip_local_port_range; 32768 if unknown). */
  static int ephemeralPortsStart() {
    try {
      String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
      int start = Integer.parseInt(range.split("\\s+")[0]);
      return start > LOWEST + 2_000 ? start : 32_768;
    } catch (IOException | RuntimeException e) {
      return 32_768;
    }
  }
}
