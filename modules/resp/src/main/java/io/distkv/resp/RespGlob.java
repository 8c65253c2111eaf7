package io.distkv.resp;

import java.util.regex.Pattern;

/**
 * Redis's glob patterns (SCAN MATCH, KEYS): {@code *} any run, {@code ?} one character,
 * {@code [abc]}, {@code [^a]} and {@code [a-z]} sets, {@code \x} a literal x. Keys are matched as
 * ISO-8859-1 text, so every byte is one character.
 */
final class RespGlob {
  private RespGlob() {}

  static Pattern compile(String glob) {
    StringBuilder re = new StringBuilder();
    for (int i = 0; i < glob.length(); i++) {
      char ch = glob.charAt(i);
      switch (ch) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        case '\\' -> {
          if (i + 1 < glob.length()) {
            re.append(Pattern.quote(String.valueOf(glob.charAt(++i))));
          } else {
            re.append("\\\\");
          }
        }
        case '[' -> {
          int close = glob.indexOf(']', i + 1);
          if (close < 0) {
            re.append("\\[");
            break;
          }
          String set = glob.substring(i + 1, close);
          re.append('[');
          if (set.startsWith("^")) {
            re.append('^');
            set = set.substring(1);
          }
          for (char s : set.toCharArray()) {
            re.append(s == '-' ? "-" : Character.isLetterOrDigit(s) ? String.valueOf(s) : "\\" + s);
          }
          re.append(']');
          i = close;
        }
        default -> re.append(Pattern.quote(String.valueOf(ch)));
      }
    }
    return Pattern.compile(re.toString(), Pattern.DOTALL);
  }
}
