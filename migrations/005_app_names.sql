-- Every name an app has carried, kept after a rename or destroy, so `events <name>` finds the
-- history of an app by any name it had without scanning the log.
CREATE TABLE app_names (
  name   TEXT NOT NULL,
  app_id TEXT NOT NULL,
  PRIMARY KEY (name, app_id)
) WITHOUT ROWID;

INSERT OR IGNORE INTO app_names (name, app_id)
  SELECT coalesce(json_extract(data, '$.to'), json_extract(data, '$.name')), substr(stream, 5)
  FROM events WHERE type IN ('AppCreated', 'AppRenamed');
