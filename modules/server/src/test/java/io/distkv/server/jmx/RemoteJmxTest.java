package io.distkv.server.jmx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.auth.PasswordHash;
import io.distkv.common.auth.Role;
import io.distkv.common.auth.Users;
import io.distkv.common.io.FreePorts;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Map;
import javax.management.Attribute;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Remote JMX: it listens on the node's address only, and with distkv.auth.users a client must log
 * in as a user; admins may change attributes and invoke operations, the other roles only read.
 */
@Tag("phase6")
class RemoteJmxTest {
  static final ObjectName MEMORY = name("java.lang:type=Memory");
  static final ObjectName RUNTIME = name("java.lang:type=Runtime");

  static ObjectName name(String n) {
    try {
      return new ObjectName(n);
    } catch (Exception e) {
      throw new IllegalArgumentException(e);
    }
  }

  static Users.User user(String name, String password, Role role) {
    return new Users.User(name, PasswordHash.of(password.getBytes(StandardCharsets.UTF_8), 10_000), role);
  }

  static JMXConnector connect(DistKvMBeans.RemoteConnector c, String user, String password) throws Exception {
    return JMXConnectorFactory.connect(c.url(), Map.of(JMXConnector.CREDENTIALS, new String[] {user, password}));
  }

  @Test
  void withUsersOnlyAUserLogsInAndOnlyAnAdminChangesAnything() throws Exception {
    Users users = new Users(Map.of("ops", user("ops", "ops-pw", Role.ADMIN),
        "viewer", user("viewer", "viewer-pw", Role.READ_ONLY)));
    DistKvMBeans.RemoteConnector c = DistKvMBeans.serveRemote("127.0.0.1", FreePorts.next(), users);
    try {
      assertThatThrownBy(() -> JMXConnectorFactory.connect(c.url()).close()).isInstanceOf(SecurityException.class)
          .hasMessageContaining("credentials");
      assertThatThrownBy(() -> connect(c, "ops", "viewer-pw").close()).isInstanceOf(SecurityException.class)
          .hasMessageContaining("invalid user or password");
      assertThatThrownBy(() -> connect(c, "nobody", "ops-pw").close()).isInstanceOf(SecurityException.class);
      try (JMXConnector viewer = connect(c, "viewer", "viewer-pw")) {
        MBeanServerConnection m = viewer.getMBeanServerConnection();
        assertThat((Long) m.getAttribute(RUNTIME, "Uptime")).isPositive();
        assertThatThrownBy(() -> m.invoke(MEMORY, "gc", null, null)).isInstanceOf(SecurityException.class);
        assertThatThrownBy(() -> m.setAttribute(MEMORY, new Attribute("Verbose", false)))
            .isInstanceOf(SecurityException.class);
      }
      try (JMXConnector ops = connect(c, "ops", "ops-pw")) {
        MBeanServerConnection m = ops.getMBeanServerConnection();
        m.setAttribute(MEMORY, new Attribute("Verbose", false));
        m.invoke(MEMORY, "gc", null, null);
        assertThat((Boolean) m.getAttribute(MEMORY, "Verbose")).isFalse();
      }
    } finally {
      c.close();
    }
  }

  @Test
  void itListensOnTheNodesAddressOnlyAndAsksNothingWithoutUsers() throws Exception {
    int port = FreePorts.next();
    DistKvMBeans.RemoteConnector c = DistKvMBeans.serveRemote("127.0.0.1", port, Users.NONE);
    try {
      assertThat(c.url().toString()).isEqualTo("service:jmx:rmi://127.0.0.1:" + port + "/jndi/rmi://127.0.0.1:" + port
          + "/jmxrmi");
      try (JMXConnector j = JMXConnectorFactory.connect(c.url())) {
        assertThat(j.getMBeanServerConnection().getMBeanCount()).isPositive();
      }
      InetAddress other = nonLoopbackAddress();
      if (other != null) { // this machine's other address: nothing listens on the port there
        assertThatThrownBy(() -> new Socket(other, port).close()).as("port %d on %s", port, other)
            .isInstanceOf(ConnectException.class);
      }
    } finally {
      c.close();
    }
  }

  static InetAddress nonLoopbackAddress() throws Exception {
    for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (n.isUp() && !n.isLoopback()) {
        for (InetAddress a : Collections.list(n.getInetAddresses())) {
          if (a instanceof Inet4Address) {
            return a;
          }
        }
      }
    }
    return null;
  }
}
