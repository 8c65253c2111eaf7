package io.distkv.common.ring;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("phase1")
class KeyHashTest {

  @Test
  void matchesPublishedXxHash64Vectors() {
    // Reference values of XXH64(input, seed 0) from the xxHash specification's test suite.
    assertThat(KeyHash.hash64(new byte[0])).isEqualTo(0xEF46DB3751D8E999L);
    assertThat(KeyHash.hash64("a")).isEqualTo(0xD24EC4F1A98C6E5BL);
    assertThat(KeyHash.hash64("abc")).isEqualTo(0x44BC2CF5AD770999L);
  }

  @Test
  void hashOfARangeEqualsHashOfItsCopy() {
    byte[] buf = "xxuser0000042-trailer".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    for (int off = 0; off < 4; off++) {
      for (int len = 0; off + len <= buf.length; len += 3) {
        assertThat(KeyHash.hash64(buf, off, len)).isEqualTo(KeyHash.hash64(java.util.Arrays.copyOfRange(buf, off, off + len)));
      }
    }
  }

  @Test
  void pinnedVectorsNeverChange() {
    // Changing any of these re-shards every existing cluster: partition = hash mod P.
    assertThat(KeyHash.hash64("user:1")).isEqualTo(PINNED_USER_1);
    assertThat(KeyHash.hash64("node1:0")).isEqualTo(PINNED_NODE1_0);
    assertThat(KeyHash.hash64("partition-0")).isEqualTo(PINNED_PARTITION_0);
  }

  @Test
  void deterministicDistinctAndWellSpread() {
    assertThat(KeyHash.hash64("hello")).isEqualTo(KeyHash.hash64("hello".getBytes(StandardCharsets.UTF_8)));
    assertThat(KeyHash.hash64("hello")).isNotEqualTo(KeyHash.hash64("hellp"));
    assertThat(KeyHash.hash64(new byte[0])).isNotZero();
    byte[] big = new byte[1024];
    for (int i = 0; i < big.length; i++) {
      big[i] = (byte) i;
    }
    assertThat(KeyHash.hash64(big)).isNotZero().isEqualTo(KeyHash.hash64(big.clone()));
    int topByteSet = 0;
    Set<Long> seen = new HashSet<>();
    int[] topNibbles = new int[16];
    for (int i = 0; i < 1000; i++) {
      long h = KeyHash.hash64("k" + i);
      seen.add(h);
      if ((h >>> 56) != 0) {
        topByteSet++;
      }
      topNibbles[(int) (h >>> 60)]++;
    }
    assertThat(seen).hasSize(1000);
    assertThat(topByteSet).isGreaterThan(950);
    for (int n : topNibbles) {
      assertThat(n).isBetween(30, 100); // 62.5 expected per bucket
    }
  }

  static final long PINNED_USER_1 = -2754016727860739853L;
  static final long PINNED_NODE1_0 = 146383390166585794L;
  static final long PINNED_PARTITION_0 = 4306843398293209987L;
}
