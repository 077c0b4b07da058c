package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import org.elasticsearch.Build;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.common.settings.Settings;

/**
 * A plugins service that loads plugin classes from the classpath (Elasticsearch 8.x and 9.x). It is in the
 * plugins package because {@code LoadedPlugin} and {@code loadPlugin} are package-private there.
 *
 * <pre>
 *   new ClasspathPluginsService(settings, configDir, emptyLoader, List.of(Netty4Plugin.class))
 * </pre>
 */
public final class ClasspathPluginsService extends PluginsService {

  private final List<LoadedPlugin> loaded;

  public ClasspathPluginsService(Settings settings, Path configDir, PluginsLoader loader, Collection<Class<? extends Plugin>> plugins) {
    super(settings, configDir, loader);
    List<LoadedPlugin> out = new ArrayList<>();
    for (Class<? extends Plugin> type : plugins) {
      PluginDescriptor descriptor = new PluginDescriptor(type.getName(), "classpath plugin", "NA", Build.current().version(),
          Integer.toString(Runtime.version().feature()), type.getName(), null, List.of(), false, false, false, false);
      out.add(new LoadedPlugin(descriptor, loadPlugin(type, settings, configDir), type.getClassLoader()));
    }
    this.loaded = List.copyOf(out);
  }

  @Override
  protected List<LoadedPlugin> plugins() {
    return loaded;
  }

  @Override
  public PluginsAndModules info() {
    return new PluginsAndModules(loaded.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(), List.of());
  }
}
