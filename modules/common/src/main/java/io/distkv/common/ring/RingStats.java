package io.distkv.common.ring;

import io.distkv.common.NodeId;
import java.util.Map;

/**
 * Shape of a {@link HashRing}: virtual nodes per node and the fraction of the hash space each node
 * owns, with summary spread figures.
 *
 * @param totalVnodes virtual nodes on the ring
 * @param nodeCount physical nodes
 * @param vnodesPerNode virtual nodes of each node
 * @param ownership fraction of the 64-bit hash space each node owns (sums to 1)
 * @param meanVnodes average virtual nodes per node
 * @param stddevVnodes standard deviation of virtual nodes per node
 * @param maxOverMeanShare largest ownership divided by the mean ownership (1.0 = perfect)
 * @param minOverMeanShare smallest ownership divided by the mean ownership (1.0 = perfect)
 */
public record RingStats(
    int totalVnodes,
    int nodeCount,
    Map<NodeId, Integer> vnodesPerNode,
    Map<NodeId, Double> ownership,
    double meanVnodes,
    double stddevVnodes,
    double maxOverMeanShare,
    double minOverMeanShare) {

  static RingStats of(int totalVnodes, Map<NodeId, Integer> vnodes, Map<NodeId, Double> share) {
    int n = vnodes.size();
    double mean = n == 0 ? 0 : (double) totalVnodes / n;
    double var = 0;
    for (int v : vnodes.values()) {
      var += (v - mean) * (v - mean);
    }
    double stddev = n == 0 ? 0 : Math.sqrt(var / n);
    double meanShare = n == 0 ? 0 : 1.0 / n;
    double max = 0;
    double min = n == 0 ? 0 : Double.MAX_VALUE;
    for (double s : share.values()) {
      max = Math.max(max, s);
      min = Math.min(min, s);
    }
    return new RingStats(
        totalVnodes,
        n,
        Map.copyOf(vnodes),
        Map.copyOf(share),
        mean,
        stddev,
        n == 0 ? 0 : max / meanShare,
        n == 0 ? 0 : min / meanShare);
  }
}
