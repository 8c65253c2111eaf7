package io.distkv.resp;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Framing of RESP requests: split anywhere, bounded, broken input named. */
@Tag("phase5")
class RespRequestParserTest {
  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  static List<String> words(RespRequestParser.Item item) {
    List<String> w = new ArrayList<>();
    for (byte[] a : ((RespRequestParser.Request) item).args()) {
      w.add(new String(a, StandardCharsets.ISO_8859_1));
    }
    return w;
  }

  RespRequestParser parser() {
    return new RespRequestParser(16, 256, 8);
  }

  @Test
  void arraysAndInlineCommandsSplitAtEveryByte() {
    String stream = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$0\r\n\r\n";
    for (int cut = 1; cut < stream.length(); cut++) {
      RespRequestParser p = parser();
      List<RespRequestParser.Item> items = new ArrayList<>(p.feed(b(stream.substring(0, cut))));
      items.addAll(p.feed(b(stream.substring(cut))));
      assertThat(items).as("cut at %d", cut).hasSize(3);
      assertThat(words(items.get(0))).containsExactly("GET", "k");
      assertThat(words(items.get(1))).containsExactly("PING");
      assertThat(words(items.get(2))).containsExactly("SET", "a", "");
    }
  }

  @Test
  void binaryValuesPassUntouched() {
    RespRequestParser p = parser();
    List<RespRequestParser.Item> items = p.feed(b("*2\r\n$4\r\nECHO\r\n$4\r\n\r\n\0\u00ff\r\n"));
    byte[] arg = ((RespRequestParser.Request) items.get(0)).args().get(1);
    assertThat(arg).containsExactly('\r', '\n', 0, 0xff);
  }

  @Test
  void anOversizedBulkIsSkippedAndTheNextRequestStillParses() {
    RespRequestParser p = parser();
    List<RespRequestParser.Item> items = new ArrayList<>(p.feed(b("*2\r\n$3\r\nGET\r\n$20\r\n0123456789")));
    items.addAll(p.feed(b("0123456789\r\n*1\r\n$4\r\nPING\r\n")));
    assertThat(items).hasSize(2);
    assertThat(items.get(0)).isEqualTo(new RespRequestParser.Oversized(20, 16));
    assertThat(words(items.get(1))).containsExactly("PING");
  }

  @Test
  void brokenFramingIsNamedAndEndsParsing() {
    assertThat(parser().feed(b("*1\r\n+PING\r\n"))).containsExactly(new RespRequestParser.Broken("expected '$', got '+'"));
    assertThat(parser().feed(b("*x\r\n"))).containsExactly(new RespRequestParser.Broken("invalid multibulk length"));
    assertThat(parser().feed(b("*1\r\n$-5\r\n"))).containsExactly(new RespRequestParser.Broken("invalid bulk length"));
    assertThat(parser().feed(b("*1\r\n$2\r\nabc\r\n")))
        .containsExactly(new RespRequestParser.Broken("bulk string not followed by CRLF"));
    assertThat(parser().feed(b("*9\r\n"))).containsExactly(
        new RespRequestParser.Broken("too many arguments in one request (9, at most 8)"));
    RespRequestParser p = parser();
    assertThat(p.feed(b("*1\r\n+\r\n"))).hasSize(1);
    assertThat(p.feed(b("*1\r\n$4\r\nPING\r\n"))).as("nothing after broken framing").isEmpty();
  }

  @Test
  void aRequestOverTheTotalLimitIsBroken() {
    RespRequestParser p = new RespRequestParser(16, 100, 8); // 100 bytes in all
    StringBuilder s = new StringBuilder("*8\r\n");
    for (int i = 0; i < 8; i++) {
      s.append("$16\r\n").append("x".repeat(16)).append("\r\n");
    }
    assertThat(p.feed(b(s.toString()))).containsExactly(new RespRequestParser.Broken("request larger than 100 bytes"));
  }

  @Test
  void randomAndTruncatedBytesNeverThrowAndStayBounded() {
    Random random = new Random(20261130L); // seed: replay a failure with it
    for (int run = 0; run < 2_000; run++) {
      RespRequestParser p = new RespRequestParser(1024, 64 * 1024, 1024);
      for (int chunk = 0; chunk < 20; chunk++) {
        byte[] bytes = new byte[random.nextInt(200)];
        random.nextBytes(bytes);
        if (random.nextBoolean()) { // mostly valid-looking headers, to reach the deeper states
          bytes = b(random.nextBoolean() ? "*" + random.nextInt(5) + "\r\n$" + random.nextInt(40) + "\r\n" : "$3\r\nabc\r\n");
        }
        List<RespRequestParser.Item> items = p.feed(bytes);
        if (items.stream().anyMatch(i -> i instanceof RespRequestParser.Broken)) {
          break;
        }
      }
    }
  }
}
