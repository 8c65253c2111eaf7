package io.distkv.common.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class NodeLifecycleTest {

  @Test
  void startsInInitAndRunsThroughStartAndStopWithRestart() {
    NodeLifecycle node = new NodeLifecycle("node1");
    List<String> seen = new ArrayList<>();
    node.addListener((from, to) -> seen.add(from + "->" + to));
    assertThat(node.state()).isEqualTo(NodeState.INIT);
    node.beginStart();
    node.markRunning();
    assertThat(node.state()).isEqualTo(NodeState.RUNNING);
    assertThatThrownBy(node::beginStart)
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("node1")
        .hasMessageContaining("RUNNING -> STARTING");
    node.beginStop();
    node.markStopped();
    assertThat(node.state()).isEqualTo(NodeState.STOPPED);
    assertThatThrownBy(node::beginStop).hasMessageContaining("STOPPED -> STOPPING");
    node.beginStart(); // restart from STOPPED
    node.markRunning();
    assertThat(seen).containsExactly(
        "INIT->STARTING", "STARTING->RUNNING", "RUNNING->STOPPING", "STOPPING->STOPPED", "STOPPED->STARTING", "STARTING->RUNNING");
  }

  @Test
  void failedIsTerminalAndRecordsTheCause() {
    NodeLifecycle node = new NodeLifecycle("node2");
    node.beginStart();
    IllegalStateException cause = new IllegalStateException("disk gone");
    node.markFailed(cause);
    assertThat(node.state()).isEqualTo(NodeState.FAILED);
    assertThat(node.failure()).isSameAs(cause);
    for (NodeState to : NodeState.values()) {
      assertThatThrownBy(() -> node.transition(to)).hasMessageContaining("FAILED -> " + to);
    }
  }

  @Test
  void exactlyTheDocumentedTransitionsAreAllowed() {
    List<String> allowed = new ArrayList<>();
    for (NodeState from : NodeState.values()) {
      for (NodeState to : NodeState.values()) {
        if (from.canTransitionTo(to)) {
          allowed.add(from + "->" + to);
        }
      }
    }
    assertThat(allowed).containsExactlyInAnyOrder(
        "INIT->STARTING",
        "STARTING->RUNNING",
        "STARTING->FAILED",
        "STARTING->STOPPING",
        "RUNNING->STOPPING",
        "RUNNING->FAILED",
        "STOPPING->STOPPED",
        "STOPPING->FAILED",
        "STOPPED->STARTING");
  }

  @Test
  void rejectedTransitionLeavesStateAndListenersUntouched() {
    for (NodeState from : EnumSet.of(NodeState.INIT, NodeState.STOPPED)) {
      NodeLifecycle node = new NodeLifecycle("n");
      if (from == NodeState.STOPPED) {
        node.beginStart();
        node.markRunning();
        node.beginStop();
        node.markStopped();
      }
      List<NodeState> seen = new ArrayList<>();
      node.addListener((f, t) -> seen.add(t));
      assertThatThrownBy(node::markRunning).isInstanceOf(InvalidArgumentException.class);
      assertThat(node.state()).isEqualTo(from);
      assertThat(seen).isEmpty();
    }
  }
}
