package dev.trailpost.emulator;

import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * One Elasticsearch 7.x node in this JVM, from the Maven Central jars: single-node, loopback only, data under a
 * directory you give. It has server's features and the netty4 transport only: the OSS feature set (no x-pack, so
 * no {@code flattened}, ILM or security), and {@code GET /} says so with {@code build_flavor: oss}.
 *
 * <pre>
 *   java -cp 'classes:lib/*' dev.trailpost.emulator.ElasticsearchNode \
 *     --home .emulators/data/elasticsearch-9200 -Ehttp.port=9200 -Ethread_pool.write.queue_size=2
 * </pre>
 */
public final class ElasticsearchNode extends Node {

  private ElasticsearchNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
    super(environment, plugins, true);
  }

  public static void main(String[] args) throws Exception {
    // read once by org.elasticsearch.Build, which GET / reports: the OSS feature set is what runs here
    System.setProperty("es.distribution.flavor", "oss");
    System.setProperty("es.distribution.type", "tar");
    NodeArguments arguments = NodeArguments.parse("elasticsearch-emulator", args);
    Settings.Builder builder = Settings.builder();
    arguments.settings().forEach(builder::put);
    Settings settings = builder.build();

    LogConfigurator.configureWithoutConfig(settings);
    Environment environment = InternalSettingsPreparer.prepareEnvironment(
        settings, Map.of(), arguments.config(), () -> settings.get("node.name"));

    ElasticsearchNode node = new ElasticsearchNode(environment, List.of(Netty4Plugin.class));
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
