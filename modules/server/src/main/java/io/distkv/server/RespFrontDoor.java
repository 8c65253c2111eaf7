package io.distkv.server;

import io.distkv.client.ClientSettings;
import io.distkv.client.DistKvClient;
import io.distkv.common.KeyLimits;
import io.distkv.common.auth.Users;
import io.distkv.common.config.RespConfig;
import io.distkv.resp.RespCommands;
import io.distkv.resp.RespServer;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * Starts a node's RESP server (docs/resp.md): a {@link DistKvClient} attached to the node's own
 * ActorSystem (its contact point is the node itself; it routes every request to the partition's
 * leader like any Java client, and READONLY reads to this node's own replica when it has one) behind a {@link RespServer} on {@code distkv.node.resp-port}.
 * The node process and the test kit start it here, once the node's router answers.
 */
public final class RespFrontDoor {
  private RespFrontDoor() {}

  /**
   * The embedded client's id: new for each start of the node, as its request sequence starts again
   * at 1 (under a reused id the partitions would refuse the new sequences as already acknowledged).
   */
  static String clientId(String nodeId) {
    return "resp-" + nodeId + "-" + java.util.UUID.randomUUID();
  }

  /**
   * @param selfHostPort the node's Artery {@code host:port}
   * @param requestTimeout the deadline of one RESP command (distkv.client.request-timeout)
   * @param users distkv.auth.users: who may log in with AUTH user password
   * @param tls the node's SSL context (distkv.tls), null when TLS is off: with it RESP is served over mutual TLS
   * @param backups the node's side of the DKV.BACKUP commands
   */
  public static RespServer start(ActorSystem<?> system, String nodeId, String selfHostPort, String bindHost,
      RespConfig resp, Users users, KeyLimits limits, Duration requestTimeout, javax.net.ssl.SSLContext tls,
      io.distkv.resp.RespBackups backups) {
    ClientSettings settings = ClientSettings.builder().contactPoints(selfHostPort).requestTimeout(requestTimeout)
        .clientId(clientId(nodeId)).limits(limits).build();
    DistKvClient client = DistKvClient.attach(system, settings, "resp-client", nodeId);
    RespCommands commands = new RespCommands(client, nodeId, resp.password(), users, backups,
        () -> io.distkv.server.cluster.ClusterMembership.respEndpoints(system));
    return RespServer.start(system, commands, RespServer.Settings.forLimits(bindHost, resp.port(), resp.maxInFlight(),
        resp.idleTimeout(), limits.maxKeyBytes(), limits.maxValueBytes()).withTls(tls));
  }
}
