package dev.trailpost.emulator;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.opensearch.Version;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.PluginInfo;
import org.opensearch.transport.Netty4ModulePlugin;

/**
 * One OpenSearch 3.x node in this JVM: single-node, loopback only, data under a directory you give. From 3.0,
 * Node's protected constructor takes plugin descriptions ({@link PluginInfo}) whose classes it loads from the
 * classpath.
 *
 * <pre>
 *   java -cp 'classes:lib/*' dev.trailpost.emulator.OpenSearchNode \
 *     --home .emulators/data/opensearch-9200 -Ehttp.port=9200 -Ethread_pool.write.queue_size=2
 * </pre>
 */
public final class OpenSearchNode extends Node {

  private OpenSearchNode(Environment environment, Collection<PluginInfo> plugins) {
    super(environment, plugins, true);
  }

  public static void main(String[] args) throws Exception {
    NodeArguments arguments = NodeArguments.parse("opensearch-emulator", args);
    Settings.Builder builder = Settings.builder();
    arguments.settings().forEach(builder::put);
    Settings settings = builder.build();

    LogConfigurator.configureWithoutConfig(settings);
    Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Map.of(), arguments.config(), () -> settings.get("node.name"));

    List<PluginInfo> plugins = List.of(classpathPlugin(Netty4ModulePlugin.class));
    OpenSearchNode node = new OpenSearchNode(environment, plugins);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        node.close();
      } catch (Exception ignored) {
        // shutting down anyway
      }
    }, "trailpost-shutdown"));
    node.start();
    arguments.printReady();
    Thread.currentThread().join();
  }

  private static PluginInfo classpathPlugin(Class<?> type) {
    return new PluginInfo(type.getName(), "classpath plugin", "NA", Version.CURRENT,
        Integer.toString(Runtime.version().feature()), type.getName(), null, List.of(), false);
  }
}
