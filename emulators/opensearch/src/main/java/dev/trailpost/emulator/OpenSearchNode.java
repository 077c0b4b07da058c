package dev.trailpost.emulator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM: single-node discovery, loopback only, data under a directory you give.
 *
 * <pre>
 *   java -cp 'target/classes:target/lib/*' dev.trailpost.emulator.OpenSearchNode \
 *     --home .emulators/opensearch -Ehttp.port=9200 -Ethread_pool.write.queue_size=2
 * </pre>
 *
 * Any node setting can be given as {@code -Ekey=value}; later ones win over the defaults here.
 * Prints {@code READY http://127.0.0.1:<port>} once the HTTP layer is bound.
 */
public final class OpenSearchNode extends Node {

  private OpenSearchNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
    super(environment, plugins, true);
  }

  public static void main(String[] args) throws Exception {
    Path home = Path.of(".emulators/opensearch");
    Settings.Builder overrides = Settings.builder();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--home") && i + 1 < args.length) {
        home = Path.of(args[++i]);
      } else if (arg.startsWith("-E") && arg.contains("=")) {
        String kv = arg.substring(2);
        int eq = kv.indexOf('=');
        overrides.put(kv.substring(0, eq), kv.substring(eq + 1));
      } else {
        System.err.println("opensearch-emulator: unknown argument " + arg
            + " (use --home DIR and -Ekey=value)");
        System.exit(2);
      }
    }
    home = home.toAbsolutePath();
    Files.createDirectories(home.resolve("config"));
    Files.createDirectories(home.resolve("data"));
    Files.createDirectories(home.resolve("logs"));

    Settings settings = Settings.builder()
        .put("cluster.name", "trailpost-local")
        .put("node.name", "trailpost-0")
        .put("path.home", home.toString())
        .put("path.data", home.resolve("data").toString())
        .put("path.logs", home.resolve("logs").toString())
        .put("discovery.type", "single-node")
        .put("network.host", "127.0.0.1")
        .put("http.port", "9200")
        .put("transport.port", "9300-9399")
        .put("cluster.routing.allocation.disk.threshold_enabled", false)
        .put("action.auto_create_index", true)
        .put(overrides.build())
        .build();

    LogConfigurator.configureWithoutConfig(settings);
    Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Map.of(), home.resolve("config"), () -> settings.get("node.name"));

    List<Class<? extends Plugin>> plugins = new ArrayList<>();
    plugins.add(Netty4Plugin.class);
    plugins.add(CommonAnalysisPlugin.class);

    OpenSearchNode node = new OpenSearchNode(environment, plugins);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception ignored) {
        // shutting down anyway
      }
    }, "trailpost-shutdown"));
    node.start();
    System.out.println("READY http://127.0.0.1:" + settings.get("http.port"));
    System.out.flush();
    Thread.currentThread().join();
  }
}
