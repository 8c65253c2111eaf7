package io.distkv.testkit;

import io.distkv.common.config.TlsSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates for TLS tests, made by the repository's {@code scripts/gen-certs.sh} (openssl and
 * keytool): a CA per directory and certificates it signed, as PEM files and PKCS12 stores.
 */
public final class TestCerts {
  private final Path dir;

  private TestCerts(Path dir) {
    this.dir = dir;
  }

  /** A new CA in {@code dir} and certificates for {@code names}. */
  public static TestCerts generate(Path dir, String... names) {
    Path script = repositoryRoot().resolve("scripts/gen-certs.sh");
    List<String> command = new ArrayList<>(List.of("bash", script.toString(), dir.toString()));
    command.addAll(List.of(names));
    try {
      Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("scripts/gen-certs.sh failed: " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot run " + script + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    return new TestCerts(dir);
  }

  /** {@code name}'s PEM certificate and key with this CA. */
  public TlsSettings pem(String name) {
    return new TlsSettings(true, dir.resolve(name + ".crt"), dir.resolve(name + ".key"), dir.resolve("ca.crt"), null, "",
        null, "");
  }

  /** {@code name}'s PKCS12 store and this CA's trust store. */
  public TlsSettings pkcs12(String name) {
    return new TlsSettings(true, null, null, null, dir.resolve(name + ".p12"), "changeit", dir.resolve("ca.p12"),
        "changeit");
  }

  public Path dir() {
    return dir;
  }

  /** The directory holding scripts/gen-certs.sh, from the working directory up. */
  static Path repositoryRoot() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("scripts/gen-certs.sh"))) {
        return d;
      }
    }
    throw new IllegalStateException("no scripts/gen-certs.sh above " + Path.of("").toAbsolutePath());
  }
}
