package io.distkv.server.jmx;

import java.lang.management.ManagementFactory;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.remote.RemoteActorRefProvider;
import org.apache.pekko.remote.transport.ThrottlerTransportAdapter;
import scala.concurrent.Await;
import scala.concurrent.duration.FiniteDuration;

/**
 * The verifier's network-partition switch inside a node process. It keeps the set of cut peers
 * for the whole process and applies it to every incarnation's Artery transport (a node downed and
 * restarted in-process while cut off stays cut off, as it would behind a real partition). Needs
 * Artery's {@code pekko.remote.artery.advanced.test-mode = on}, which the node sets only when this
 * is enabled.
 */
public final class FaultInjection implements FaultInjectionMXBean {
  /** Scala's {@code Direction.Both} object, which Java source cannot name (a nested object's class name). */
  private static final ThrottlerTransportAdapter.Direction BOTH_DIRECTIONS = scalaObject(
      "org.apache.pekko.remote.transport.ThrottlerTransportAdapter$Direction$Both$");

  private final Set<String> blackholed = new TreeSet<>();

  private static ThrottlerTransportAdapter.Direction scalaObject(String className) {
    try {
      return (ThrottlerTransportAdapter.Direction) Class.forName(className).getField("MODULE$").get(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("Pekko remoting has no " + className, e);
    }
  }
  private ActorSystem<?> system;

  /** Registers the MBean as {@code io.distkv:type=FaultInjection,name=<node>}. */
  public static FaultInjection register(String node) throws Exception {
    FaultInjection f = new FaultInjection();
    ManagementFactory.getPlatformMBeanServer().registerMBean(f, new ObjectName("io.distkv:type=FaultInjection,name=" + node));
    return f;
  }

  /** A new incarnation: re-applies every cut path to its transport. */
  public synchronized void attach(ActorSystem<?> incarnation) {
    this.system = incarnation;
    for (String peer : blackholed) {
      apply(peer, true);
    }
  }

  @Override
  public synchronized String[] getBlackholed() {
    return blackholed.toArray(String[]::new);
  }

  @Override
  public synchronized void blackhole(String hostPort) {
    checkHostPort(hostPort);
    blackholed.add(hostPort);
    apply(hostPort, true);
  }

  @Override
  public synchronized void heal(String hostPort) {
    checkHostPort(hostPort);
    blackholed.remove(hostPort);
    apply(hostPort, false);
  }

  @Override
  public synchronized void healAll() {
    for (String peer : blackholed) {
      apply(peer, false);
    }
    blackholed.clear();
  }

  private static void checkHostPort(String hostPort) {
    if (hostPort == null || !hostPort.matches("[^:@/\\s]+:\\d{1,5}")) {
      throw new IllegalArgumentException("expected a peer's host:port, got '" + hostPort + "'");
    }
  }

  private void apply(String hostPort, boolean cut) {
    if (system == null) {
      return;
    }
    int colon = hostPort.lastIndexOf(':');
    Address peer = new Address("pekko", "distkv", hostPort.substring(0, colon), Integer.parseInt(hostPort.substring(colon + 1)));
    ExtendedActorSystem classic = (ExtendedActorSystem) Adapter.toClassic(system);
    RemoteActorRefProvider provider = (RemoteActorRefProvider) classic.provider();
    ThrottlerTransportAdapter.ThrottleMode mode = cut ? ThrottlerTransportAdapter.Blackhole$.MODULE$
        : ThrottlerTransportAdapter.Unthrottled$.MODULE$;
    try {
      Await.result(provider.transport().managementCommand(new ThrottlerTransportAdapter.SetThrottle(peer,
          BOTH_DIRECTIONS, mode)), FiniteDuration.apply(10, TimeUnit.SECONDS));
    } catch (Exception e) {
      throw new IllegalStateException((cut ? "blackhole " : "heal ") + hostPort + " failed: " + e, e);
    }
  }
}
