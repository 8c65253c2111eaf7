package io.distkv.client;

import java.util.Map;
import java.util.Set;

/**
 * What a client has sent so far: attempts (first tries and retries), retries alone, attempts
 * that went unanswered within the attempt timeout, attempts by node, and the nodes it currently
 * sends nothing to because they went silent (each is probed every 250 ms and used again once it
 * answers).
 */
public record ClientStats(long attempts, long retries, long unanswered, Map<String, Long> attemptsByNode,
    Set<String> silentNodes) {}
