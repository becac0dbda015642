-- Run settings (mounts, resources, docker options, networks): one JSON document per app id, or ''
-- for the global one, folded from their events by state/run-settings.ts.
CREATE TABLE run_settings (
  app_id TEXT PRIMARY KEY,
  doc TEXT NOT NULL
);
-- Each release keeps the app's own run settings (what a rollback restores) and what its containers
-- ran with (merged with the global ones). Releases recorded before this ran with none: '{}'.
ALTER TABLE releases ADD COLUMN run TEXT NOT NULL DEFAULT '{}';
ALTER TABLE releases ADD COLUMN run_with TEXT NOT NULL DEFAULT '{}';
