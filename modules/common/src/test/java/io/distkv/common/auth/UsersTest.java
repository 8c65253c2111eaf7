package io.distkv.common.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.ConfigReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Stored passwords and the users table of distkv.auth.users: what logs in, and every refusal named. */
@Tag("phase1")
class UsersTest {
  static final int FAST = 10_000; // the least iterations allowed: keeps the test quick

  static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void aHashMatchesItsPasswordOnlyAndSurvivesItsStoredForm() {
    PasswordHash h = PasswordHash.of(utf8("s3cret é"), FAST);
    PasswordHash back = PasswordHash.parse(h.toString());
    assertThat(back.matches(utf8("s3cret é"))).isTrue();
    assertThat(back.matches(utf8("s3cret e"))).isFalse();
    assertThat(back.matches(new byte[0])).isFalse();
    assertThat(h.toString()).startsWith("pbkdf2-sha256$10000$").doesNotContain("s3cret");
    // a fresh salt each time: the same password hashes differently
    assertThat(PasswordHash.of(utf8("s3cret é"), FAST).toString()).isNotEqualTo(h.toString());
  }

  @Test
  void malformedStoredFormsAreRefusedSayingWhatIsWrong() {
    String good = PasswordHash.of(utf8("pw"), FAST).toString();
    String[] p = good.split("\\$");
    assertThatThrownBy(() -> PasswordHash.parse("plaintext")).hasMessageContaining("pbkdf2-sha256$ITERATIONS$SALT$HASH");
    assertThatThrownBy(() -> PasswordHash.parse("md5$1$" + p[2] + "$" + p[3])).hasMessageContaining("expected");
    assertThatThrownBy(() -> PasswordHash.parse(p[0] + "$many$" + p[2] + "$" + p[3])).hasMessageContaining("not an integer");
    assertThatThrownBy(() -> PasswordHash.parse(p[0] + "$1000$" + p[2] + "$" + p[3])).hasMessageContaining("at least 10000");
    assertThatThrownBy(() -> PasswordHash.parse(p[0] + "$" + p[1] + "$" + p[2] + "$%%%")).hasMessageContaining("base64");
    assertThatThrownBy(() -> PasswordHash.parse(p[0] + "$" + p[1] + "$" + p[2] + "$" + p[2])).hasMessageContaining("32 bytes");
    assertThatThrownBy(() -> PasswordHash.of(utf8("pw"), 5)).hasMessageContaining("at least");
  }

  @Test
  void usersLogInWithTheirOwnPasswordAndCarryTheirRole() {
    String alice = PasswordHash.of(utf8("alice-pw"), FAST).toString();
    String ops = PasswordHash.of(utf8("ops-pw"), FAST).toString();
    com.typesafe.config.Config c = ConfigFactory.parseString("""
        distkv.auth.users = [
          { name = alice, password-hash = "%s", role = read-write }
          { name = "ops@example", password-hash = "%s", role = admin }
        ]
        """.formatted(alice, ops));
    ConfigReader r = new ConfigReader(c);
    Users users = Users.read(c, r);
    assertThat(r.problems()).isEmpty();
    assertThat(users.size()).isEqualTo(2);
    assertThat(users.authenticate("alice", utf8("alice-pw")).orElseThrow().role()).isEqualTo(Role.READ_WRITE);
    assertThat(users.authenticate("alice", utf8("alice-pw")).orElseThrow().role()).as("again, from the cache")
        .isEqualTo(Role.READ_WRITE);
    assertThat(users.authenticate("alice", utf8("ops-pw"))).as("another user's password").isEmpty();
    assertThat(users.authenticate("ops@example", utf8("ops-pw")).orElseThrow().role()).isEqualTo(Role.ADMIN);
    assertThat(users.authenticate("mallory", utf8("alice-pw"))).isEmpty();
    assertThat(Role.ADMIN.allows(Role.READ_WRITE)).isTrue();
    assertThat(Role.READ_WRITE.allows(Role.ADMIN)).isFalse();
    assertThat(Role.READ_ONLY.allows(Role.READ_WRITE)).isFalse();
  }

  @Test
  void everyBadEntryIsNamedByItsIndexAndField() {
    String hash = PasswordHash.of(utf8("pw"), FAST).toString();
    com.typesafe.config.Config c = ConfigFactory.parseString("""
        distkv.auth.users = [
          { name = ok, password-hash = "%1$s", role = admin }
          { name = "bad name!", password-hash = "%1$s", role = admin }
          { name = default, password-hash = "%1$s", role = admin }
          { name = ok, password-hash = "%1$s", role = read-only }
          { name = carol, password-hash = "%1$s", role = superuser }
          { name = dave, password-hash = "secret", role = read-write }
          { name = erin, role = read-write, passwrd = x }
        ]
        """.formatted(hash));
    ConfigReader r = new ConfigReader(c);
    Users users = Users.read(c, r);
    List<String> problems = r.problems();
    assertThat(problems).anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[1].name"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[2].name = default").contains("reserved"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[3].name = ok").contains("second user"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[4].role = superuser").contains("read-only"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[5].password-hash (user dave)")
            .doesNotContain("secret"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[6].passwrd: unknown key"))
        .anySatisfy(p -> assertThat(p).startsWith("distkv.auth.users[6].password-hash: is required"));
    assertThat(users.size()).isEqualTo(1);
    com.typesafe.config.Config scalar = ConfigFactory.parseString("distkv.auth.users = alice");
    ConfigReader notAList = new ConfigReader(scalar);
    Users.read(scalar, notAList);
    assertThat(notAList.problems()).singleElement().asString().contains("expected a list");
  }
}
