package dev.trailpost.emulator;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch 1.x or 2.x node in this JVM: single-node, loopback only, data under a directory you give. Node's
 * protected constructor takes plugin classes, so the netty4 transport is loaded from the classpath.
 *
 * <pre>
 *   java -cp 'classes:lib/*' dev.trailpost.emulator.OpenSearchNode \
 *     --home .emulators/data/opensearch-9200 -Ehttp.port=9200 -Ethread_pool.write.queue_size=2
 * </pre>
 *
 * Any node setting can be given as {@code -Ekey=value}; later ones win over the defaults of {@link NodeArguments}.
 */
public final class OpenSearchNode extends Node {

  private OpenSearchNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
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

    OpenSearchNode node = new OpenSearchNode(environment, List.of(Netty4Plugin.class));
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
}
