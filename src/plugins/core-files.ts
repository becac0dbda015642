import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { PluginDirs } from './dirs.ts';

/**
 * What dokku puts under `$PLUGIN_CORE_AVAILABLE_PATH` for plugin code: `common/functions` and
 * `common/property-functions`, the helpers simple Dokku plugins source, each one a call to dokku
 * (never a read of its files), and `common/bin/dokku`, this same program, first on plugins' PATH.
 * Written when they differ from what this binary would write, so an upgrade rewrites them.
 */
export function coreBinDir(dirs: PluginDirs): string {
  return join(dirs.core, 'common', 'bin');
}

export function ensureCoreFiles(dirs: PluginDirs, self: readonly string[]): void {
  const quoted = self.map(shellQuote).join(' ');
  writeIfChanged(join(coreBinDir(dirs), 'dokku'), `#!/bin/sh\n# dokku, for plugin code: the same program and runtime that ran the plugin.\nexec ${quoted} "$@"\n`, 0o755);
  writeIfChanged(join(dirs.core, 'common', 'functions'), FUNCTIONS, 0o644);
  writeIfChanged(join(dirs.core, 'common', 'property-functions'), PROPERTY_FUNCTIONS, 0o644);
}

function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

function writeIfChanged(file: string, text: string, mode: number): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  mkdirSync(dirname(file), { recursive: true, mode: 0o755 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode);
  renameSync(tmp, file);
}

const FUNCTIONS = `# Shell helpers for dokku plugins, as Dokku's common/functions names them.
# Written by dokku; each helper calls dokku itself, so it keeps working when dokku's files change.

dokku_log_info1() { echo "-----> $*"; }
dokku_log_info2() { echo "=====> $*"; }
dokku_log_info1_quiet() { [ -n "$DOKKU_QUIET_OUTPUT" ] || echo "-----> $*"; }
dokku_log_info2_quiet() { [ -n "$DOKKU_QUIET_OUTPUT" ] || echo "=====> $*"; }
dokku_log_verbose() { echo "       $*"; }
dokku_log_verbose_quiet() { [ -n "$DOKKU_QUIET_OUTPUT" ] || echo "       $*"; }
dokku_log_warn() { echo " !     $*" >&2; }
dokku_log_fail() { echo " !     $*" >&2; exit "\${DOKKU_FAIL_EXIT_CODE:-1}"; }

# Fails (exits) unless the app exists.
verify_app_name() {
  [ -n "$1" ] || dokku_log_fail "App name required"
  dokku apps:exists "$1" >/dev/null 2>&1 || dokku_log_fail "App $1 does not exist"
}

# True when the app has a release deployed.
is_deployed() {
  [ "$(dokku --quiet ps:report "$1" --deployed 2>/dev/null)" = "true" ]
}

# The ids of the app's running containers, one per line.
get_app_running_container_ids() {
  dokku --quiet ps:report "$1" 2>/dev/null | sed -n 's/^ *Status [^:]*: *running (CID: \\([0-9a-f]*\\)).*/\\1/p'
}

# plugn's one verb plugins use: fire a trigger on every enabled plugin.
plugn() {
  if [ "$1" = "trigger" ]; then
    shift
    dokku plugin:trigger "$@"
  else
    echo " !     plugn $1: only 'plugn trigger' is available to plugins" >&2
    return 1
  fi
}
`;

const PROPERTY_FUNCTIONS = `# Plugin properties, as Dokku's common/property-functions names them; kept in dokku's event log.
# APP may be --global.

fn-plugin-property-get() {
  dokku plugin:property-get "$1" "$2" "$3" 2>/dev/null || echo "$4"
}
fn-plugin-property-write() {
  dokku plugin:property-set "$1" "$2" "$3" "$4"
}
fn-plugin-property-delete() {
  dokku plugin:property-unset "$1" "$2" "$3"
}
fn-plugin-property-list() {
  dokku plugin:property-list "$1" "$2"
}
`;
