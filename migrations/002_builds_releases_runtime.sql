-- Builds, releases, formation, runtime status and per-app settings: all projections of the log.

CREATE TABLE builds (
  app_id      TEXT    NOT NULL,
  number      INTEGER NOT NULL,
  status      TEXT    NOT NULL,           -- running | succeeded | failed
  source      TEXT    NOT NULL,           -- archive | image | git | rebuild
  sha         TEXT,
  builder     TEXT,
  buildpack   TEXT,
  image       TEXT,
  seconds     REAL,
  reason      TEXT,
  started_at  TEXT    NOT NULL,
  finished_at TEXT,
  PRIMARY KEY (app_id, number)
) WITHOUT ROWID;

CREATE TABLE releases (
  app_id         TEXT    NOT NULL,
  version        INTEGER NOT NULL,
  image          TEXT    NOT NULL,
  image_tag      TEXT    NOT NULL,
  config         TEXT    NOT NULL,        -- JSON: the app's own vars at this release
  env            TEXT    NOT NULL,        -- JSON: what its containers get (global merged with the app's)
  process_types  TEXT    NOT NULL,        -- JSON
  web_port       INTEGER NOT NULL,
  app_json       TEXT    NOT NULL,        -- JSON
  description    TEXT    NOT NULL,
  source_sha     TEXT,
  build          INTEGER,
  rollback_of    INTEGER,
  actor          TEXT    NOT NULL,
  created_at     TEXT    NOT NULL,
  status         TEXT    NOT NULL,        -- created | deploying | deployed | failed
  pruned         INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (app_id, version)
) WITHOUT ROWID;

CREATE TABLE formation (
  app_id       TEXT    NOT NULL,
  process_type TEXT    NOT NULL,
  quantity     INTEGER NOT NULL,
  PRIMARY KEY (app_id, process_type)
) WITHOUT ROWID;

-- What should run: the release serving traffic, whether processes are stopped, nginx upstreams.
CREATE TABLE app_runtime (
  app_id          TEXT PRIMARY KEY,
  current_release INTEGER,
  stopped         INTEGER NOT NULL DEFAULT 0,
  upstreams       TEXT    NOT NULL DEFAULT '[]',
  deployed_at     TEXT
) WITHOUT ROWID;

-- scope: an app id, or '' for global. namespace: builder, buildpacks, checks, releases, stack...
CREATE TABLE settings (
  scope     TEXT NOT NULL,
  namespace TEXT NOT NULL,
  key       TEXT NOT NULL,
  value     TEXT NOT NULL,
  PRIMARY KEY (scope, namespace, key)
) WITHOUT ROWID;
