import type { Settings } from '../lib/settings.ts';
import { pluginPaths } from '../lib/settings.ts';

/** Where plugins live (Dokku's names in comments), and how plugin code calls dokku back. */
export interface PluginDirs {
  /** `$PLUGIN_PATH` */
  root: string;
  /** `$PLUGIN_AVAILABLE_PATH` */
  available: string;
  /** `$PLUGIN_ENABLED_PATH` */
  enabled: string;
  /** `$PLUGIN_CORE_AVAILABLE_PATH`: `common/functions` and the `dokku` on plugins' PATH. */
  core: string;
  /** `$DOKKU_ROOT`, `$DOKKU_LIB_ROOT` */
  dokkuRoot: string;
  libRoot: string;
}

export function pluginDirs(settings: Settings): PluginDirs {
  return { ...pluginPaths(settings), dokkuRoot: settings.root, libRoot: settings.libRoot };
}
