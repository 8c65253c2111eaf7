package io.distkv.raft.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.InvalidArgumentException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase3")
class QuorumTest {

  @Test
  void majorityOfOneToSeven() {
    assertThat(List.of(1, 2, 3, 4, 5, 6, 7).stream().map(Quorum::majority)).containsExactly(1, 2, 2, 3, 3, 4, 4);
  }

  @Test
  void committedIndexIsTheMedianOfMatchIndexes() {
    Map<String, Long> m = new HashMap<>(Map.of("a", 5L, "b", 3L, "c", 9L));
    assertThat(Quorum.committedIndex(Set.of("a", "b", "c"), m::get)).isEqualTo(5);
    m.putAll(Map.of("d", 1L, "e", 2L));
    assertThat(Quorum.committedIndex(Set.of("a", "b", "c", "d", "e"), m::get)).isEqualTo(3);
    assertThat(Quorum.committedIndex(Set.of("a", "b", "c", "d"), m::get)).isEqualTo(3);
    assertThat(Quorum.committedIndex(Set.of("x"), v -> 0)).isZero();
  }

  @Test
  void tallyWinsLosesOrWaits() {
    Set<String> voters = Set.of("a", "b", "c");
    assertThat(Quorum.tally(voters, Map.of("a", true))).isEqualTo(Quorum.VoteResult.PENDING);
    assertThat(Quorum.tally(voters, Map.of("a", true, "b", true))).isEqualTo(Quorum.VoteResult.WON);
    assertThat(Quorum.tally(voters, Map.of("a", true, "b", false))).isEqualTo(Quorum.VoteResult.PENDING);
    assertThat(Quorum.tally(voters, Map.of("a", true, "b", false, "c", false))).isEqualTo(Quorum.VoteResult.LOST);
    assertThat(Quorum.tally(voters, Map.of("a", true, "z", true))).isEqualTo(Quorum.VoteResult.PENDING);
  }

  @Test
  void singleServerChangesValidate() {
    Configuration c = Configuration.ofVoters("a", "b", "c");
    Configuration withLearner = c.apply(new ConfChange(ConfChange.Type.ADD_LEARNER, "d"));
    assertThat(withLearner.learners()).containsExactly("d");
    assertThat(withLearner.isVoter("d")).isFalse();
    Configuration promoted = withLearner.apply(new ConfChange(ConfChange.Type.PROMOTE, "d"));
    assertThat(promoted.voters()).containsExactly("a", "b", "c", "d");
    assertThat(promoted.apply(new ConfChange(ConfChange.Type.REMOVE, "a")).voters()).containsExactly("b", "c", "d");
    assertThat(Configuration.decode(withLearner.encode())).isEqualTo(withLearner);
    assertThatThrownBy(() -> c.apply(new ConfChange(ConfChange.Type.PROMOTE, "a")))
        .isInstanceOf(InvalidArgumentException.class).hasMessageContaining("not a learner");
    assertThatThrownBy(() -> c.apply(new ConfChange(ConfChange.Type.ADD_VOTER, "a"))).hasMessageContaining("already a member");
    assertThatThrownBy(() -> Configuration.ofVoters("a").apply(new ConfChange(ConfChange.Type.REMOVE, "a")))
        .hasMessageContaining("last voter");
  }
}
