package io.distkv.verify;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The set workload's check: every element whose add was acknowledged is found by the final reads
 * made after every fault healed; an element whose add definitely failed is never found; the final
 * read of an element sees that element or nothing. An acknowledged element without a successful
 * final read makes the verdict UNKNOWN (it could not be verified), never valid.
 */
public final class LostWriteChecker {
  public CheckResult check(History history) {
    Map<String, Op> adds = new HashMap<>();
    Map<String, Op> finalReads = new HashMap<>();
    for (Op op : history.ops()) {
      if (op.type() == Op.Type.SET_ADD) {
        adds.put(op.key(), op);
      } else if (op.type() == Op.Type.SET_READ && op.ok()) {
        finalReads.put(op.key(), op);
      }
    }
    List<String> violations = new ArrayList<>();
    int unverified = 0;
    for (Op add : adds.values()) {
      Op read = finalReads.get(add.key());
      if (read == null) {
        if (add.ok()) {
          unverified++;
        }
        continue;
      }
      if (read.value() != null && !read.value().equals(add.value())) {
        violations.add("element " + add.key() + ": the final read found " + read.value() + ", never added there: " + read);
      } else if (add.ok() && read.value() == null) {
        violations.add("element " + add.key() + ": acknowledged (" + add + ") but missing after healing: " + read);
      } else if (add.outcome() == Op.Outcome.FAIL && read.value() != null) {
        violations.add("element " + add.key() + ": its add was reported as not applied (" + add + ") but it is there: " + read);
      }
    }
    for (Op read : finalReads.values()) {
      if (!adds.containsKey(read.key()) && read.value() != null) {
        violations.add("element " + read.key() + ": found by the final read but never added: " + read);
      }
    }
    return CheckResult.of("lost-writes", violations, unverified > 0, adds.size());
  }
}
