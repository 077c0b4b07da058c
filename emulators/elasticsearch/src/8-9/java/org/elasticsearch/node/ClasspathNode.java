package org.elasticsearch.node;

import java.util.Collection;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

/**
 * A {@link Node} whose plugins are classes on the classpath, for Elasticsearch 8.x and 9.x, where Node's plugin
 * constructor is gone. It lives in Node's package because {@code NodeConstruction.prepareConstruction} and
 * {@code NodeServiceProvider} are package-private: our provider hands Node a plugins service that loads the given
 * classes instead of scanning a modules directory.
 *
 * <pre>
 *   Node node = ClasspathNode.create(environment, List.of(Netty4Plugin.class));
 * </pre>
 */
public final class ClasspathNode extends Node {

  private ClasspathNode(NodeConstruction construction) {
    super(construction);
  }

  public static Node create(Environment environment, Collection<Class<? extends Plugin>> plugins) {
    PluginsLoader none = PluginsLoader.createPluginsLoader(Set.of(), Set.of(), Map.of(), false);
    NodeServiceProvider provider = new NodeServiceProvider() {
      @Override
      PluginsService newPluginService(Environment env, PluginsLoader loader) {
        return new ClasspathPluginsService(env.settings(), env.configDir(), loader, plugins);
      }
    };
    return new ClasspathNode(NodeConstruction.prepareConstruction(environment, none, provider, true));
  }
}
