package io.distkv.server.tool;

import com.typesafe.config.ConfigFactory;
import io.distkv.common.config.Remoting;
import io.distkv.common.error.ErrorCode;
import io.distkv.common.placement.Partitioner;
import io.distkv.server.partition.KvCommand;
import io.distkv.server.partition.KvResult;
import io.distkv.server.router.Router;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorRefResolver;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Interim command line for a running node's router (until the client and CLI of issue #6):
 * {@code put KEY VALUE}, {@code get KEY [--eventual]}, {@code del KEY}, {@code cas KEY VERSION VALUE},
 * {@code wait-ready [SECONDS]}. {@code --contact host:port} picks the node (default
 * 127.0.0.1:7101). Exit codes: 0 ok, 1 not found / conflict / exists, 2 usage, 3 cluster error.
 */
public final class NodeTool {
  private NodeTool() {}

  static final String USAGE = """
      usage: distkv [--contact host:port] <command>
        put KEY VALUE             write (prints the new version)
        get KEY [--eventual]      read (linearizable by default); prints the value
        del KEY                   delete
        cas KEY VERSION VALUE     write only if KEY's version is VERSION (0 = absent)
        wait-ready [SECONDS [P]]  wait until all P partitions (default 16) answer a linearizable read (default 60 s)
      """;

  public static void main(String[] args) {
    List<String> rest = new ArrayList<>();
    String contact = "127.0.0.1:7101";
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--contact") && i + 1 < args.length) {
        contact = args[++i];
      } else if (args[i].equals("-h") || args[i].equals("--help")) {
        System.out.print(USAGE);
        return;
      } else {
        rest.add(args[i]);
      }
    }
    if (rest.isEmpty()) {
      usage("no command");
    }
    ActorSystem<Void> system = ActorSystem.create(Behaviors.empty(), "distkv-tool", ConfigFactory.parseString("pekko.loglevel = ERROR\npekko.stdout-loglevel = OFF")
        .withFallback(Remoting.artery("127.0.0.1", 0)).withFallback(ConfigFactory.load()));
    int code;
    try {
      ActorRef<Router.Command> router = ActorRefResolver.get(system)
          .resolveActorRef("pekko://distkv@" + contact + "/user/router");
      code = run(system, router, rest);
    } finally {
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (Exception e) {
        // exiting anyway
      }
    }
    System.exit(code);
  }

  private static void usage(String why) {
    System.err.println("distkv: " + why + "\n" + USAGE);
    System.exit(2);
  }

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static Router.Reply ask(ActorSystem<Void> system, ActorRef<Router.Command> router,
      java.util.function.Function<ActorRef<Router.Reply>, Router.Command> msg) {
    try {
      return AskPattern.ask(router, msg::apply, Duration.ofSeconds(10), system.scheduler()).toCompletableFuture().get();
    } catch (Exception e) {
      return new Router.Reply(ErrorCode.UNAVAILABLE, null, "no answer from the node: " + e.getMessage(), null);
    }
  }

  private static int run(ActorSystem<Void> system, ActorRef<Router.Command> router, List<String> a) {
    String cmd = a.get(0);
    String clientId = "tool-" + ProcessHandle.current().pid();
    switch (cmd) {
      case "put", "del", "cas" -> {
        KvCommand.Op op = switch (cmd) {
          case "put" -> {
            need(a, 3);
            yield KvCommand.Op.put(b(a.get(1)), b(a.get(2)));
          }
          case "del" -> {
            need(a, 2);
            yield KvCommand.Op.delete(b(a.get(1)));
          }
          default -> {
            need(a, 4);
            yield KvCommand.Op.compareAndSet(b(a.get(1)), Long.parseLong(a.get(2)), b(a.get(3)));
          }
        };
        Router.Reply r = ask(system, router, reply -> new Router.Write(KvCommand.single(clientId, 1, op), reply));
        return print(r, cmd);
      }
      case "get" -> {
        need(a, 2);
        boolean eventual = a.contains("--eventual");
        Router.Reply r = ask(system, router, reply -> new Router.Get(b(a.get(1)),
            eventual ? Router.Consistency.EVENTUAL : Router.Consistency.LINEARIZABLE, reply));
        return print(r, cmd);
      }
      case "wait-ready" -> {
        long seconds = a.size() > 1 ? Long.parseLong(a.get(1)) : 60;
        int partitions = a.size() > 2 ? Integer.parseInt(a.get(2)) : 16;
        return waitReady(system, router, seconds, partitions);
      }
      default -> {
        usage("unknown command '" + cmd + "'");
        return 2;
      }
    }
  }

  private static void need(List<String> a, int n) {
    if (a.size() < n) {
      usage(a.get(0) + " needs " + (n - 1) + " argument(s)");
    }
  }

  private static int print(Router.Reply r, String cmd) {
    if (!r.isOk()) {
      System.err.println("error: " + r.code() + ": " + r.message());
      return 3;
    }
    KvResult res = r.result();
    switch (res.code()) {
      case OK -> {
        if (cmd.equals("get")) {
          System.out.println(new String(res.value(), StandardCharsets.UTF_8));
          System.err.println("(version " + res.version() + ")");
        } else {
          System.out.println("OK version " + res.version());
        }
        return 0;
      }
      case NOT_FOUND -> {
        System.err.println("not found");
        return 1;
      }
      case CONFLICT -> {
        System.err.println("conflict: current version is " + res.version());
        return 1;
      }
      default -> {
        System.err.println(res.code());
        return 1;
      }
    }
  }

  /** Every partition answers a linearizable read (so each has a leader with a committed term). */
  private static int waitReady(ActorSystem<Void> system, ActorRef<Router.Command> router, long seconds, int partitions) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    Partitioner partitioner = new Partitioner(partitions);
    String[] probe = new String[partitions];
    int found = 0;
    for (int i = 0; found < partitions; i++) {
      String k = "__ready_probe_" + i;
      int p = partitioner.indexOf(b(k));
      if (probe[p] == null) {
        probe[p] = k;
        found++;
      }
    }
    int ready = 0;
    while (System.nanoTime() < deadline) {
      while (ready < partitions) {
        String k = probe[ready];
        Router.Reply r = ask(system, router, reply -> new Router.Get(b(k), Router.Consistency.LINEARIZABLE, reply));
        if (!r.isOk()) {
          break;
        }
        ready++;
      }
      if (ready == partitions) {
        System.out.println("ready: all " + partitions + " partitions have a leader");
        return 0;
      }
      try {
        Thread.sleep(500); // polling a starting cluster from a shell tool
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return 3;
      }
    }
    System.err.println("not ready after " + seconds + " s (" + ready + " of " + partitions + " partitions answer)");
    return 3;
  }
}
