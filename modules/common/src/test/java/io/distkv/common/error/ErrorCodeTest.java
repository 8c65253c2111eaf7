package io.distkv.common.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class ErrorCodeTest {

  @Test
  void everyCodeHasAMessageAndAUniqueStableWireValue() {
    Set<Integer> wire = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      assertThat(c.message()).isNotBlank();
      assertThat(wire.add(c.wireValue())).as("duplicate wire value for %s", c).isTrue();
      assertThat(ErrorCode.fromWire(c.wireValue())).isEqualTo(c);
    }
    assertThat(ErrorCode.OK.wireValue()).isZero();
    assertThat(ErrorCode.READ_ONLY.message()).contains("Read-only");
    assertThatThrownBy(() -> ErrorCode.fromWire(99)).hasMessageContaining("99");
  }

  @Test
  void retryableCodesAreTheTransientOnes() {
    Set<ErrorCode> retryable = new HashSet<>();
    for (ErrorCode c : ErrorCode.values()) {
      if (c.retryable()) {
        retryable.add(c);
      }
    }
    assertThat(retryable).containsExactlyInAnyOrder(ErrorCode.TIMEOUT, ErrorCode.NOT_LEADER, ErrorCode.BUSY, ErrorCode.UNAVAILABLE);
  }

  @Test
  void everyErrorCodeMapsToItsTypedException() {
    for (ErrorCode c : ErrorCode.values()) {
      if (c == ErrorCode.OK) {
        assertThatThrownBy(() -> DistKvException.of(c, "x", null)).isInstanceOf(IllegalArgumentException.class);
        continue;
      }
      DistKvException e = DistKvException.of(c, "details", "node2");
      assertThat(e.code()).isEqualTo(c);
      assertThat(e.getMessage()).startsWith(c.name() + ": details");
    }
    assertThat(DistKvException.of(ErrorCode.CONFLICT, "v", null)).isInstanceOf(ConflictException.class);
    assertThat(DistKvException.of(ErrorCode.READ_ONLY, "v", null)).isInstanceOf(ReadOnlyException.class);
    NotLeaderException nl = (NotLeaderException) DistKvException.of(ErrorCode.NOT_LEADER, "p3", "node2");
    assertThat(nl.leaderHint()).contains("node2");
    assertThat(nl.getMessage()).contains("leader hint: node2");
    assertThat(((NotLeaderException) DistKvException.of(ErrorCode.NOT_LEADER, "p3", null)).leaderHint()).isEmpty();
  }
}
