package io.distkv.raft;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The node-wide bound on Raft log memory asks the largest log to compact first, and each once until it does. */
@Tag("phase3")
class LogMemoryBudgetTest {
  private final List<String> asked = new ArrayList<>();

  @Test
  void belowTheBudgetNoReplicaIsAsked() {
    LogMemoryBudget budget = new LogMemoryBudget(1_000);
    LogMemoryBudget.Member a = budget.join(() -> asked.add("a"));
    LogMemoryBudget.Member b = budget.join(() -> asked.add("b"));
    a.report(400);
    b.report(500);
    assertThat(asked).isEmpty();
    assertThat(budget.bytes()).isEqualTo(900);
  }

  @Test
  void atTheBudgetTheLargestLogsAreAskedOnceUntilTheyCompact() {
    LogMemoryBudget budget = new LogMemoryBudget(1_000);
    LogMemoryBudget.Member a = budget.join(() -> asked.add("a"));
    LogMemoryBudget.Member b = budget.join(() -> asked.add("b"));
    LogMemoryBudget.Member c = budget.join(() -> asked.add("c"));
    a.report(200);
    b.report(600);
    c.report(300); // 1,100 ≥ 1,000: b holds most, and without b 500 stay (≤ 750)
    assertThat(asked).containsExactly("b");
    a.report(300); // 1,200, but b is compacting: 600 stay
    assertThat(asked).containsExactly("b");
    a.report(700); // 1,600: without b still 1,000; a is the largest of the others
    assertThat(asked).containsExactly("b", "a");
    b.compacted(0);
    c.report(1_000); // 700 + 0 + 1,000, a compacting: c
    assertThat(asked).containsExactly("b", "a", "c");
    assertThat(budget.shrinksAsked()).isEqualTo(3);
  }

  @Test
  void asManyLogsAreAskedAsBringTheRestToThreeQuartersOfTheBudget() {
    LogMemoryBudget budget = new LogMemoryBudget(1_600);
    List<LogMemoryBudget.Member> members = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      String name = "r" + i;
      members.add(budget.join(() -> asked.add(name)));
    }
    for (int i = 0; i < 16; i++) {
      members.get(i).report(99); // 1,584: below the budget
    }
    assertThat(asked).isEmpty();
    members.get(3).report(300); // 1,785: r3, then three of 99 bring the rest to 1,188 (≤ 1,200)
    assertThat(asked).hasSize(4).first().isEqualTo("r3");
  }

  @Test
  void aClosedReplicaNoLongerCounts() {
    LogMemoryBudget budget = new LogMemoryBudget(1_000);
    LogMemoryBudget.Member a = budget.join(() -> asked.add("a"));
    LogMemoryBudget.Member b = budget.join(() -> asked.add("b"));
    a.report(800);
    a.close();
    b.report(300);
    assertThat(asked).isEmpty();
    assertThat(budget.bytes()).isEqualTo(300);
  }

  @Test
  void shrinkingReportsAskNothing() {
    LogMemoryBudget budget = new LogMemoryBudget(1_000);
    LogMemoryBudget.Member a = budget.join(() -> asked.add("a"));
    a.report(5_000); // over: asked
    a.report(4_000); // smaller, still over: no growth, no new question
    assertThat(asked).containsExactly("a");
  }
}
