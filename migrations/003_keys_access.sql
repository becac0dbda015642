-- SSH keys and per-app access: projections of SshKeyAdded/Removed and AccessGranted/Revoked.

CREATE TABLE ssh_keys (
  name        TEXT    PRIMARY KEY,
  fingerprint TEXT    NOT NULL UNIQUE,   -- SHA256:… as ssh-keygen -l prints it
  key_type    TEXT    NOT NULL,          -- ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256, ...
  public_key  TEXT    NOT NULL,          -- "type base64", no options, no comment
  admin       INTEGER NOT NULL,          -- 1: every app and the admin commands
  added_at    TEXT    NOT NULL
) WITHOUT ROWID;

-- Which apps a non-admin key may act on. By app id, so a rename keeps the grant and a new app
-- under a destroyed app's name does not inherit it.
CREATE TABLE acl (
  key_name TEXT NOT NULL,
  app_id   TEXT NOT NULL,
  PRIMARY KEY (key_name, app_id)
) WITHOUT ROWID;

CREATE INDEX acl_by_app ON acl (app_id);
