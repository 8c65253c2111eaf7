package io.distkv.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distkv.common.error.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class KeysTest {

  @Test
  void orderIsUnsignedLexicographicWithPrefixFirst() {
    List<byte[]> keys = new ArrayList<>(List.of(
        new byte[] {(byte) 0xFF}, new byte[] {0x01, 0x00}, new byte[] {0x01}, new byte[] {(byte) 0x80}, new byte[] {0x00}));
    keys.sort(Keys.ORDER);
    assertThat(keys).containsExactly(
        new byte[] {0x00}, new byte[] {0x01}, new byte[] {0x01, 0x00}, new byte[] {(byte) 0x80}, new byte[] {(byte) 0xFF});
  }

  @Test
  void prefixEndIsTheFirstKeyAfterThePrefix() {
    assertThat(Keys.prefixEnd(new byte[] {'a', 'b'})).containsExactly('a', 'c');
    assertThat(Keys.prefixEnd(new byte[] {'a', (byte) 0xFF})).containsExactly('b');
    assertThat(Keys.prefixEnd(new byte[] {(byte) 0xFF, (byte) 0xFF})).isNull();
  }

  @Test
  void limitsRejectEmptyNullAndOversizedWithTheSizes() {
    KeyLimits limits = KeyLimits.DEFAULT;
    assertThat(limits.checkKey(new byte[1])).hasSize(1);
    assertThat(limits.checkKey(new byte[4096])).hasSize(4096);
    assertThat(limits.checkValue(new byte[0])).isEmpty();
    assertThat(limits.checkValue(new byte[1024 * 1024])).hasSize(1024 * 1024);
    assertThatThrownBy(() -> limits.checkKey(new byte[0]))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("must not be empty");
    assertThatThrownBy(() -> limits.checkKey(null)).hasMessageContaining("must not be null");
    assertThatThrownBy(() -> limits.checkKey(new byte[4097]))
        .isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("4097 bytes")
        .hasMessageContaining("limit of 4096");
    assertThatThrownBy(() -> limits.checkValue(new byte[1024 * 1024 + 1]))
        .hasMessageContaining("1048577 bytes")
        .hasMessageContaining("limit of 1048576");
    assertThatThrownBy(() -> new KeyLimits(0, 10)).hasMessageContaining("max key size");
  }

  @Test
  void idsValidateTheirShape() {
    assertThat(NodeId.of("node-1.a_b").value()).isEqualTo("node-1.a_b");
    assertThatThrownBy(() -> NodeId.of("")).isInstanceOf(InvalidArgumentException.class).hasMessageContaining("''");
    assertThatThrownBy(() -> NodeId.of("has space")).hasMessageContaining("has space");
    assertThatThrownBy(() -> PartitionId.of(-1)).hasMessageContaining("-1");
    assertThat(PartitionId.of(3)).isLessThan(PartitionId.of(10));
  }
}
