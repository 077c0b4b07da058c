package dev.trailpost.emulator;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The command line every launcher of ours takes, and the node settings they all start from: single-node, loopback
 * only, data, logs and config under one home directory. Plain Java, so that the Elasticsearch and OpenSearch
 * launchers share it.
 *
 * <pre>
 *   NodeArguments node = NodeArguments.parse("elasticsearch-emulator", args);
 *   node.settings().forEach(builder::put);   // defaults, then every -Ekey=value given
 * </pre>
 */
public final class NodeArguments {

  private final Path home;
  private final Map<String, String> settings;

  private NodeArguments(Path home, Map<String, String> settings) {
    this.home = home;
    this.settings = settings;
  }

  /**
   * {@code --home DIR}, {@code -Ekey=value}, and {@code --exit-with PID} (the node stops when that process ends:
   * a test's throwaway engine never outlives the test); anything else prints usage and exits 2.
   */
  public static NodeArguments parse(String program, String[] args) throws IOException {
    Path home = Path.of(".emulators/node");
    Map<String, String> overrides = new LinkedHashMap<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--home") && i + 1 < args.length) {
        home = Path.of(args[++i]);
      } else if (arg.equals("--exit-with") && i + 1 < args.length) {
        exitWith(program, Long.parseLong(args[++i]));
      } else if (arg.startsWith("-E") && arg.indexOf('=') > 2) {
        int eq = arg.indexOf('=');
        overrides.put(arg.substring(2, eq), arg.substring(eq + 1));
      } else {
        System.err.println(program + ": unknown argument " + arg + " (use --home DIR, -Ekey=value and --exit-with PID)");
        System.exit(2);
      }
    }
    home = home.toAbsolutePath();
    for (String dir : new String[] {"config", "data", "logs"}) Files.createDirectories(home.resolve(dir));

    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("cluster.name", "trailpost-local");
    settings.put("node.name", "trailpost-0");
    settings.put("path.home", home.toString());
    settings.put("path.data", home.resolve("data").toString());
    settings.put("path.logs", home.resolve("logs").toString());
    settings.put("discovery.type", "single-node");
    settings.put("network.host", "127.0.0.1");
    settings.put("http.port", "9200");
    settings.put("transport.port", "9300-9399");
    settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
    settings.put("action.auto_create_index", "true");
    settings.putAll(overrides);
    return new NodeArguments(home, settings);
  }

  /** Exits (running the shutdown hooks, which close the node) once process {@code pid} has ended. */
  private static void exitWith(String program, long pid) {
    Runnable exit = () -> {
      System.err.println(program + ": process " + pid + " has ended, stopping");
      System.exit(0);
    };
    ProcessHandle.of(pid).ifPresentOrElse(parent -> parent.onExit().thenRun(exit), exit);
  }

  public Path home() {
    return home;
  }

  public Path config() {
    return home.resolve("config");
  }

  /** The defaults above, then every {@code -E} setting (later ones win). */
  public Map<String, String> settings() {
    return settings;
  }

  /** The line the host process waits for in the log (readiness itself is checked over HTTP). */
  public void printReady() {
    System.out.println("READY http://127.0.0.1:" + settings.get("http.port"));
    System.out.flush();
  }
}
