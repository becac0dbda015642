-- Named storage entries (storage:create): a name for a host directory, and the app it was made for
-- (a non-admin key may mount only its own app's entries). Folded from StorageEntryCreated/Destroyed.
CREATE TABLE storage_entries (
  name TEXT PRIMARY KEY,
  path TEXT NOT NULL,
  app_id TEXT,
  chown TEXT NOT NULL,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL
);
