-- Installed plugins (plugin:install), folded from each plugin's stream `plugin/<name>`.
CREATE TABLE plugins (
  name TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  committish TEXT,
  commit_sha TEXT,
  version TEXT NOT NULL,
  description TEXT NOT NULL,
  enabled INTEGER NOT NULL DEFAULT 1,
  installed_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  actor TEXT NOT NULL
);
-- Plugin settings (plugin:property-set): app_id '' holds the global ones.
CREATE TABLE plugin_properties (
  plugin TEXT NOT NULL,
  app_id TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (plugin, app_id, key)
);
