package io.distkv.server.cluster;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.distkv.common.NodeId;
import io.distkv.common.protocol.ClientProtocol;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;

/**
 * Pekko Cluster membership of a dist-kv node: the settings every node's ActorSystem gets (cluster
 * provider, seed nodes, roles carrying the node id, phi-accrual failure detection, the split-brain
 * resolver with keep-majority, the Cluster MBean) and reads of the node's current membership view.
 *
 * <p>Membership decides a node's lifecycle (it is RUNNING once it is an {@code Up} member, and a
 * member the resolver downs restarts itself, see {@code NodeProcess}); the Raft groups do not
 * depend on it: replicas talk over Artery whether or not their nodes are members, so a node that
 * has been downed and not yet rejoined still serves eventual reads and takes part in Raft as soon
 * as its peers are reachable.
 */
public final class ClusterMembership {
  /** Every dist-kv node has this role; its id is in a second role, {@code node=<id>}. */
  public static final String NODE_ROLE = "distkv-node";
  private static final String ID_ROLE_PREFIX = "node=";
  /** A node that serves RESP carries its port in a third role, {@code resp=<port>} (CLUSTER SLOTS names it). */
  private static final String RESP_ROLE_PREFIX = "resp=";

  private ClusterMembership() {}

  /**
   * Pekko settings for a node: cluster provider, {@code seeds} ("host:port") as seed nodes,
   * roles, keep-majority split-brain resolution after {@code downAfter} of stable unreachability,
   * Cluster MBean on ({@code multiMbeans}: several nodes in one JVM, as in the test kit, get one
   * MBean each, named with their port). {@code respPort} &gt; 0: the node serves RESP there, and says
   * so in a role.
   */
  public static Config settings(NodeId id, List<String> seeds, Duration downAfter, boolean multiMbeans, int respPort) {
    String seedList = seeds.stream()
        .map(s -> "\"pekko://" + ClientProtocol.SYSTEM_NAME + "@" + s + "\"")
        .collect(Collectors.joining(", "));
    return ConfigFactory.parseString("""
        pekko.actor.provider = cluster
        pekko.cluster.seed-nodes = [%s]
        pekko.cluster.roles = ["%s", "%s%s"%s]
        pekko.cluster.downing-provider-class = "org.apache.pekko.cluster.sbr.SplitBrainResolverProvider"
        pekko.cluster.split-brain-resolver.active-strategy = keep-majority
        pekko.cluster.split-brain-resolver.stable-after = %dms
        pekko.cluster.jmx.enabled = on
        pekko.cluster.jmx.multi-mbeans-in-same-jvm = %s
        pekko.cluster.log-info = off
        pekko.actor.serialization-bindings {
          "io.distkv.server.cluster.ReplicaHost$HostSerializable" = jackson-cbor
        }
        """.formatted(seedList, NODE_ROLE, ID_ROLE_PREFIX, id.value(),
            respPort > 0 ? ", \"" + RESP_ROLE_PREFIX + respPort + "\"" : "", downAfter.toMillis(), multiMbeans ? "on" : "off"));
  }

  /** The dist-kv node id a member carries in its roles, if it is a dist-kv node. */
  public static Optional<String> nodeId(Member member) {
    return member.getRoles().stream().filter(r -> r.startsWith(ID_ROLE_PREFIX))
        .map(r -> r.substring(ID_ROLE_PREFIX.length())).findFirst();
  }

  /**
   * The RESP endpoints ("host:port") of the dist-kv nodes that are members now and serve RESP, by
   * node id: the host of each one's cluster address and the port of its {@code resp=} role.
   */
  public static Map<String, String> respEndpoints(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    Map<String, String> out = new java.util.TreeMap<>();
    for (Member m : cluster.state().getMembers()) {
      Optional<String> id = nodeId(m);
      Optional<String> port = m.getRoles().stream().filter(r -> r.startsWith(RESP_ROLE_PREFIX))
          .map(r -> r.substring(RESP_ROLE_PREFIX.length())).findFirst();
      if (id.isPresent() && port.isPresent() && m.address().host().isDefined()) {
        out.put(id.get(), m.address().host().get() + ":" + port.get());
      }
    }
    return out;
  }

  /**
   * How the node at {@code address} ("pekko://distkv@host:port") stands in {@code system}'s view of
   * the membership: "up", "joining", "leaving", … (Pekko's member status, lower case),
   * "unreachable" when the failure detector has marked it so, "none" when it is not a member.
   */
  public static String statusOf(ActorSystem<?> system, String address) {
    Cluster cluster = Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    var state = cluster.state();
    for (Member m : state.getUnreachable()) {
      if (m.address().toString().equals(address)) {
        return "unreachable";
      }
    }
    for (Member m : state.getMembers()) {
      if (m.address().toString().equals(address)) {
        return name(m.status());
      }
    }
    return "none";
  }

  /**
   * Whether this node's own failure detector has stopped hearing the node at {@code address}
   * ("pekko://distkv@host:port"): monitored and not available. Only this node's own observations
   * count, not the cluster's gossiped reachability, which also lists nodes that some *other* member
   * cannot reach (in a bridge partition the bridge node would see both sides as unreachable). False
   * when {@code system} is not a cluster ActorSystem or the address is not monitored.
   */
  public static boolean unreachableFromHere(ActorSystem<?> system, org.apache.pekko.actor.Address address) {
    try {
      var detector = Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system)).failureDetector();
      return detector.isMonitoring(address) && !detector.isAvailable(address);
    } catch (RuntimeException e) {
      return false; // not a cluster ActorSystem
    }
  }

  /** This node's own member status ("up", "joining", … or "removed"). */
  public static String selfStatus(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    return name(cluster.selfMember().status());
  }

  /** Addresses of the current members, by dist-kv node id. */
  public static java.util.Map<String, Address> members(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(org.apache.pekko.actor.typed.javadsl.Adapter.toClassic(system));
    java.util.Map<String, Address> out = new java.util.TreeMap<>();
    for (Member m : cluster.state().getMembers()) {
      nodeId(m).ifPresent(id -> out.put(id, m.address()));
    }
    return out;
  }

  /** Records in {@code directory} the address of every current member that carries a node id. */
  public static void learnMemberAddresses(ActorSystem<?> system, NodeDirectory directory) {
    members(system).forEach((id, address) -> directory.learnAddress(NodeId.of(id), address.toString()));
  }

  private static String name(MemberStatus status) {
    return status.toString().toLowerCase(java.util.Locale.ROOT);
  }
}
