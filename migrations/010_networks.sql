-- Docker networks an admin made with network:create: the only ones apps may be attached to.
CREATE TABLE networks (
  name TEXT PRIMARY KEY,
  created_at TEXT NOT NULL,
  actor TEXT NOT NULL
);
