-- The append-only log: the source of truth. Everything else in this file is a projection of it.
CREATE TABLE events (
  position INTEGER PRIMARY KEY,
  stream   TEXT    NOT NULL,
  version  INTEGER NOT NULL,
  type     TEXT    NOT NULL,
  data     TEXT    NOT NULL,
  actor    TEXT    NOT NULL,
  at       TEXT    NOT NULL,
  hash     TEXT    NOT NULL,
  UNIQUE (stream, version)
);

-- Apps are streams keyed by a stable id; the name lives here so a rename keeps the history.
CREATE TABLE apps (
  id         TEXT    PRIMARY KEY,
  name       TEXT    NOT NULL UNIQUE,
  created_at TEXT    NOT NULL,
  locked     INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- scope is an app id, or '' for global values.
CREATE TABLE config (
  scope TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
