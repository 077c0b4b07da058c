package dev.trailpost.emulator;

import java.util.List;
import java.util.Map;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

/**
 * One Elasticsearch 8.x or 9.x node in this JVM, from the Maven Central jars: single-node, loopback only, data
 * under a directory you give. Only server's own features and the netty4 transport are there (no x-pack: no ILM,
 * no security; no painless, analysis-common or reindex modules), plus {@link RootPlugin} for {@code GET /}.
 *
 * <pre>
 *   java -cp 'classes:lib/*' dev.trailpost.emulator.ElasticsearchNode \
 *     --home .emulators/data/elasticsearch-9200 -Ehttp.port=9200 -Ethread_pool.write.queue_size=2
 * </pre>
 */
public final class ElasticsearchNode {

  private ElasticsearchNode() {}

  public static void main(String[] args) throws Exception {
    NodeArguments arguments = NodeArguments.parse("elasticsearch-emulator", args);
    Settings.Builder builder = Settings.builder();
    arguments.settings().forEach(builder::put);
    Settings settings = builder.build();

    LogConfigurator.configureWithoutConfig(settings);
    Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Map.of(), arguments.config(), () -> settings.get("node.name"));

    Node node = ClasspathNode.create(environment, List.of(Netty4Plugin.class, RootPlugin.class));
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
