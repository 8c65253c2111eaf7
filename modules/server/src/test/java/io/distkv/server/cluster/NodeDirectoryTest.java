package io.distkv.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.NodeId;
import io.distkv.common.placement.Placement;
import io.distkv.common.placement.PlacementFunction;
import io.distkv.common.placement.PlacementSettings;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The persisted placement (docs/formats.md "Placement file"): its settings are the cluster's, fixed at creation. */
@Tag("phase2")
class NodeDirectoryTest {
  @TempDir Path dir;

  static Placement placement(PlacementSettings s) {
    Set<NodeId> nodes = new TreeSet<>(Set.of(NodeId.of("node1"), NodeId.of("node2"), NodeId.of("node3")));
    return PlacementFunction.initial(nodes, s);
  }

  @Test
  void hashTagsAreWrittenReadBackAndFixedAtCreation() throws Exception {
    Placement tagged = placement(new PlacementSettings(8, 3, 150, true));
    NodeDirectory first = NodeDirectory.open(dir, tagged, Map.of());
    assertThat(first.firstBoot()).isTrue();
    String text = Files.readString(dir.resolve(NodeDirectory.FILE), StandardCharsets.UTF_8);
    assertThat(text.lines().toList().get(2)).isEqualTo("settings 8 3 150 redis-slots");
    assertThat(NodeDirectory.decode(text)).isEqualTo(tagged);
    NodeDirectory again = NodeDirectory.open(dir, tagged, Map.of());
    assertThat(again.firstBoot()).isFalse();
    assertThat(again.placement().settings().hashTags()).isTrue();
    // The same data directory with hash tags turned off in the config: refused, naming both.
    assertThatThrownBy(() -> NodeDirectory.open(dir, placement(new PlacementSettings(8, 3, 150)), Map.of()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("hash tags are fixed at cluster creation")
        .hasMessageContaining("hashTags=true").hasMessageContaining("hashTags=false");
  }

  @Test
  void aFileWithoutTheHashTagsWordIsAClusterWithoutThemAndAnUnknownWordIsRefused() {
    String untagged = NodeDirectory.encode(placement(new PlacementSettings(4, 3, 150)));
    assertThat(untagged.lines().toList().get(2)).isEqualTo("settings 4 3 150");
    assertThat(NodeDirectory.decode(untagged).settings().hashTags()).isFalse();
    assertThatThrownBy(() -> NodeDirectory.decode(untagged.replace("settings 4 3 150", "settings 4 3 150 hashtags")))
        .hasMessageContaining("expected 'settings P RF V [redis-slots]'");
    // The word of a build whose hash tags hashed with xxHash64: refused, saying how to carry the data over.
    assertThatThrownBy(() -> NodeDirectory.decode(untagged.replace("settings 4 3 150", "settings 4 3 150 hash-tags")))
        .hasMessageContaining("Redis Cluster's slots").hasMessageContaining("restore the backup");
  }
}
