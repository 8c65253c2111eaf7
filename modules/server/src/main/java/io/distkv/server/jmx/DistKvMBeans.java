package io.distkv.server.jmx;

import io.distkv.common.auth.Users;
import io.distkv.common.concurrent.Ask;
import io.distkv.common.lifecycle.NodeLifecycle;
import io.distkv.raft.RaftReplica;
import io.distkv.raft.core.Role;
import io.distkv.server.NodeRuntime;
import io.distkv.server.partition.KvStateMachine;
import io.distkv.server.router.RequestMetrics;
import io.distkv.storage.StoreStats;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.rmi.registry.LocateRegistry;
import java.rmi.registry.Registry;
import java.rmi.server.RMIClientSocketFactory;
import java.rmi.server.RMIServerSocketFactory;
import java.rmi.server.UnicastRemoteObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.remote.JMXAuthenticator;
import javax.management.remote.JMXConnectorServer;
import javax.management.remote.JMXPrincipal;
import javax.management.remote.JMXServiceURL;
import javax.management.remote.rmi.RMIConnectorServer;
import javax.management.remote.rmi.RMIJRMPServerImpl;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.rmi.ssl.SslRMIClientSocketFactory;
import javax.security.auth.Subject;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Registers the node's MBeans under the {@code io.distkv} domain (node, every hosted partition,
 * every partition store) and, if a port is configured, serves them over remote JMX (RMI) at
 * {@code service:jmx:rmi:///jndi/rmi://host:port/jmxrmi}.
 */
public final class DistKvMBeans implements AutoCloseable {
  private final MBeanServer server = ManagementFactory.getPlatformMBeanServer();
  private final List<ObjectName> registered = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final Map<Integer, List<ObjectName>> partitionNames = new java.util.TreeMap<>();
  private final ActorSystem<?> system;
  private final NodeRuntime runtime;

  public DistKvMBeans(ActorSystem<?> system, NodeRuntime runtime, NodeLifecycle lifecycle, RequestMetrics metrics)
      throws Exception {
    this.system = system;
    this.runtime = runtime;
    String node = runtime.self().value();
    registerStorage(node);
    register(new ObjectName("io.distkv:type=Node,name=" + node), new NodeMXBean() {
      @Override
      public String getState() {
        return lifecycle.state().name();
      }

      @Override
      public String getMemberStatus() {
        return io.distkv.server.cluster.ClusterMembership.selfStatus(system);
      }

      @Override
      public int getPartitionsHosted() {
        return runtime.replicas().size();
      }

      @Override
      public int getLeadersHeld() {
        int n = 0;
        for (ActorRef<RaftReplica.Command> r : runtime.replicas().values()) {
          RaftReplica.Status s = status(system, r);
          if (s != null && s.role() == Role.LEADER) {
            n++;
          }
        }
        return n;
      }

      @Override
      public long getRequests() {
        return metrics.requests();
      }

      @Override
      public long getRequestErrors() {
        return metrics.errors();
      }

      @Override
      public long getLatencyP50Micros() {
        return metrics.percentileMicros(50);
      }

      @Override
      public long getLatencyP99Micros() {
        return metrics.percentileMicros(99);
      }
    });
    sync();
    runtime.onHostedChanged(() -> {
      try {
        sync();
      } catch (Exception e) {
        org.slf4j.LoggerFactory.getLogger(DistKvMBeans.class).warn("updating partition MBeans failed", e);
      }
    });
  }

  /** Registers the MBeans of partitions hosted now and unregisters those of partitions that left. */
  public synchronized void sync() throws Exception {
    String node = runtime.self().value();
    for (Integer p : new ArrayList<>(partitionNames.keySet())) {
      if (!runtime.replicas().containsKey(p)) {
        for (ObjectName n : partitionNames.remove(p)) {
          if (server.isRegistered(n)) {
            server.unregisterMBean(n);
          }
          registered.remove(n);
        }
      }
    }
    for (Map.Entry<Integer, ActorRef<RaftReplica.Command>> e : runtime.replicas().entrySet()) {
      if (partitionNames.containsKey(e.getKey())) {
        continue;
      }
      KvStateMachine sm = runtime.stateMachines().get(e.getKey());
      if (sm == null) {
        continue;
      }
      List<ObjectName> names = new ArrayList<>();
      partitionNames.put(e.getKey(), names);
      ActorRef<RaftReplica.Command> replica = e.getValue();
      names.add(register(new ObjectName("io.distkv:type=Partition,node=" + node + ",partition=" + e.getKey()), new PartitionMXBean() {
        private RaftReplica.Status s() {
          RaftReplica.Status s = status(system, replica);
          if (s == null) {
            throw new IllegalStateException("replica did not answer");
          }
          return s;
        }

        @Override
        public String getRole() {
          return s().role().name();
        }

        @Override
        public long getTerm() {
          return s().term();
        }

        @Override
        public String getLeader() {
          return s().leader();
        }

        @Override
        public long getCommitIndex() {
          return s().commitIndex();
        }

        @Override
        public long getAppliedIndex() {
          return s().appliedIndex();
        }

        @Override
        public long getLastIndex() {
          return s().lastIndex();
        }

        @Override
        public long getSnapshotIndex() {
          return s().snapshotIndex();
        }
      }));
      names.add(register(new ObjectName("io.distkv:type=Store,node=" + node + ",partition=" + e.getKey()), new StoreMXBean() {
        @Override
        public long getMemtableBytes() {
          return sm.stats().memtableBytes();
        }

        @Override
        public int[] getTablesPerLevel() {
          return sm.stats().filesPerLevel().stream().mapToInt(Integer::intValue).toArray();
        }

        @Override
        public long getCompactions() {
          return sm.stats().compactions();
        }

        @Override
        public long getBytesFlushed() {
          return sm.stats().bytesFlushed();
        }

        @Override
        public long getCompactionBytesWritten() {
          return sm.stats().compactionBytesWritten();
        }

        @Override
        public double getWriteAmplification() {
          return sm.stats().writeAmplification();
        }

        @Override
        public double getBlockCacheHitRate() {
          return sm.stats().blockCacheHitRate();
        }

        @Override
        public long getPersistedAppliedIndex() {
          StoreStats st = sm.stats();
          return st.persistedAppliedIndex();
        }
      }));
    }
  }

  private ObjectName register(ObjectName name, Object bean) throws Exception {
    if (server.isRegistered(name)) {
      server.unregisterMBean(name);
    }
    server.registerMBean(bean, name);
    registered.add(name);
    return name;
  }

  private void registerStorage(String node) throws Exception {
    io.distkv.storage.StoreResources shared = runtime.storeResources();
    register(new ObjectName("io.distkv:type=Storage,name=" + node), new StorageMXBean() {
      private io.distkv.storage.Compactor.Status s() {
        try {
          return Ask.<io.distkv.storage.Compactor.Command, io.distkv.storage.Compactor.Status>ask(runtime.compactor(),
              io.distkv.storage.Compactor.GetStatus::new, Duration.ofSeconds(2), system.scheduler()).get();
        } catch (Exception e) {
          throw new IllegalStateException("the compactor did not answer: " + e);
        }
      }

      @Override
      public int getFlushesQueued() {
        return s().flushesQueued();
      }

      @Override
      public int getCompactionsQueued() {
        return s().compactionsQueued();
      }

      @Override
      public int getJobsRunning() {
        return s().running();
      }

      @Override
      public long getFlushesRun() {
        return s().flushesRun();
      }

      @Override
      public long getCompactionsRun() {
        return s().compactionsRun();
      }

      @Override
      public long getJobFailures() {
        return s().failures();
      }

      @Override
      public long getMemtableBytes() {
        return shared.writeBuffers().memtableBytes();
      }

      @Override
      public long getWriteBufferBudget() {
        return shared.writeBuffers().budgetBytes();
      }

      @Override
      public long getFlushesForced() {
        return shared.writeBuffers().flushesForced();
      }

      @Override
      public long getBlockCacheBytes() {
        return shared.blockCache().weightedSize();
      }

      @Override
      public long getRaftLogBytes() {
        return runtime.logBudget().bytes();
      }

      @Override
      public long getRaftLogBudget() {
        return runtime.logBudget().budgetBytes();
      }

      @Override
      public long getRaftLogShrinksAsked() {
        return runtime.logBudget().shrinksAsked();
      }

      @Override
      public double getBlockCacheHitRate() {
        long h = shared.blockCache().hits();
        long m = shared.blockCache().misses();
        return h + m == 0 ? 0 : (double) h / (h + m);
      }
    });
  }

  private static RaftReplica.Status status(ActorSystem<?> system, ActorRef<RaftReplica.Command> replica) {
    try {
      return Ask.<RaftReplica.Command, RaftReplica.Status>ask(replica, RaftReplica.GetStatus::new,
          Duration.ofSeconds(2), system.scheduler()).get();
    } catch (Exception e) {
      return null;
    }
  }

  /** The node's remote JMX endpoint; it outlives the node's incarnations. */
  public record RemoteConnector(JMXServiceURL url, JMXConnectorServer server, Registry registry) {
    public void close() {
      try {
        server.stop();
        UnicastRemoteObject.unexportObject(registry, true);
      } catch (IOException e) {
        // the process is exiting; nothing to do
      }
    }
  }

  /**
   * Serves the platform MBean server over RMI on {@code host:port} only: the RMI registry and the
   * connector share that one port and listen on that address, not on every interface. With
   * {@code users} (distkv.auth.users), a client must log in as one of them (JMX credentials
   * {@code {user, password}}): admins may change attributes and invoke operations, the other
   * roles only read. Without users, remote JMX asks for nothing (bind it to a management address).
   */
  public static RemoteConnector serveRemote(String host, int port, Users users) throws Exception {
    return serveRemote(host, port, users, null);
  }

  /**
   * As above; with {@code tls} (the node's distkv.tls) the registry and the connector speak TLS
   * 1.3/1.2 and require the client's certificate, signed by the cluster's CA (mutual TLS, as every
   * port of a TLS node). The client side is the JDK's {@link SslRMIClientSocketFactory}: a JMX
   * client brings its certificate and the CA in its JVM's default SSL context
   * ({@code javax.net.ssl.keyStore} and {@code trustStore}) and looks the registry up over TLS
   * ({@code com.sun.jndi.rmi.factory.socket}; docs/security.md).
   */
  public static RemoteConnector serveRemote(String host, int port, Users users, SSLContext tls) throws Exception {
    InetAddress bind = InetAddress.getByName(host);
    RMIServerSocketFactory sockets = tls == null ? p -> new ServerSocket(p, 50, bind) : p -> {
      SSLServerSocket s = (SSLServerSocket) tls.getServerSocketFactory().createServerSocket(p, 50, bind);
      s.setEnabledProtocols(io.distkv.common.config.TlsSettings.protocols());
      s.setNeedClientAuth(true);
      return s;
    };
    RMIClientSocketFactory clientSockets = tls == null ? null : new SslRMIClientSocketFactory();
    if (System.getProperty("java.rmi.server.hostname") == null) {
      System.setProperty("java.rmi.server.hostname", host); // the address the connector's stub names
    }
    Registry registry = LocateRegistry.createRegistry(port, clientSockets, sockets);
    Map<String, Object> env = new HashMap<>();
    if (!users.isEmpty()) {
      env.put(JMXConnectorServer.AUTHENTICATOR, (JMXAuthenticator) credentials -> login(users,
          credentials));
      env.put("jmx.remote.x.access.file", accessFile(users).toString());
    }
    JMXServiceURL url = new JMXServiceURL("service:jmx:rmi://" + host + ":" + port + "/jndi/rmi://" + host + ":" + port
        + "/jmxrmi");
    try {
      // As the JDK's own management agent does: the connector exported on the registry's port and its
      // stub bound in the registry object directly (a JNDI bind would call the registry over the
      // network, and over TLS that would need the node's certificate in its JVM's default context).
      RMIJRMPServerImpl rmi = new RMIJRMPServerImpl(port, clientSockets, sockets, env);
      JMXConnectorServer connector = new RMIConnectorServer(new JMXServiceURL("rmi", host, port), env, rmi,
          ManagementFactory.getPlatformMBeanServer());
      connector.start();
      registry.bind("jmxrmi", rmi.toStub());
      return new RemoteConnector(url, connector, registry);
    } catch (Exception e) {
      UnicastRemoteObject.unexportObject(registry, true);
      throw e;
    }
  }

  /** A JMX client's credentials ({@code String[] {user, password}}) → its subject, or SecurityException. */
  static Subject login(Users users, Object credentials) {
    if (!(credentials instanceof String[] c) || c.length != 2 || c[0] == null || c[1] == null) {
      throw new SecurityException("remote JMX needs credentials {user, password} of a distkv.auth.users user");
    }
    Users.User u = users.authenticate(c[0], c[1].getBytes(StandardCharsets.UTF_8))
        .orElseThrow(() -> new SecurityException("invalid user or password"));
    return new Subject(true, Set.of(new JMXPrincipal(u.name())),
        Set.of(), Set.of());
  }

  /** The JDK's JMX access file for {@code users}: admin = readwrite, the other roles readonly. */
  private static Path accessFile(Users users) throws IOException {
    Path f = Files.createTempFile("distkv-jmx-access", ".properties");
    f.toFile().deleteOnExit();
    StringBuilder b = new StringBuilder();
    for (Users.User u : users.all()) {
      b.append(u.name()).append(u.role() == io.distkv.common.auth.Role.ADMIN ? " readwrite\n" : " readonly\n");
    }
    Files.writeString(f, b);
    return f;
  }

  /** Unregisters this node's MBeans. */
  @Override
  public void close() throws Exception {
    for (ObjectName n : registered) {
      if (server.isRegistered(n)) {
        server.unregisterMBean(n);
      }
    }
  }
}
