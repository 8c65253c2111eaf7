package io.distkv.common.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class FreePortsTest {
  @Test
  void portsAreBindableBelowTheEphemeralRangeAndNeverHandedOutTwice() throws Exception {
    int ephemeral = FreePorts.ephemeralPortsStart();
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      int port = FreePorts.next();
      assertTrue(port >= FreePorts.LOWEST && port < ephemeral,
          port + " is not between " + FreePorts.LOWEST + " and the ephemeral range's start " + ephemeral);
      assertTrue(seen.add(port), "port " + port + " handed out twice");
    }
    int port = FreePorts.next();
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress("127.0.0.1", port));
      assertEquals(port, s.getLocalPort());
    }
  }
}
