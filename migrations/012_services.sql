-- Built-in services (postgres:create, redis:create): one row per service, folded from its stream.
CREATE TABLE services (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  image TEXT NOT NULL,
  password TEXT NOT NULL,
  memory TEXT,
  shm_size TEXT,
  stopped INTEGER NOT NULL DEFAULT 0,
  exposed TEXT NOT NULL DEFAULT '[]',
  backup_schedule TEXT,
  backup_keep INTEGER,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL,
  UNIQUE (kind, name)
);
-- Which apps a service is linked to, and the alias its URL is set under (DATABASE → DATABASE_URL).
CREATE TABLE service_links (
  app_id TEXT NOT NULL,
  service_id TEXT NOT NULL,
  alias TEXT NOT NULL,
  linked_at TEXT NOT NULL,
  PRIMARY KEY (app_id, service_id)
);
-- Services a non-admin key was given (acl:add-service).
CREATE TABLE service_grants (
  key_name TEXT NOT NULL,
  service_id TEXT NOT NULL,
  PRIMARY KEY (key_name, service_id)
);
-- The links a release ran with: releases:diff shows them, a rollback restores them.
ALTER TABLE releases ADD COLUMN links TEXT NOT NULL DEFAULT '[]';
