-- Routing: domains, port mappings and certificates, all projections of the log.

-- scope: an app id, or '' for a global domain (every app gets <app>.<domain>).
CREATE TABLE domains (
  scope    TEXT NOT NULL,
  domain   TEXT NOT NULL,
  added_at TEXT NOT NULL,
  PRIMARY KEY (scope, domain)
) WITHOUT ROWID;

-- One app owns a domain at a time.
CREATE UNIQUE INDEX domains_one_owner ON domains (domain) WHERE scope <> '';

-- The app's own scheme:host:container mappings, in the order given; none means the default.
CREATE TABLE ports (
  app_id   TEXT    NOT NULL,
  position INTEGER NOT NULL,
  mapping  TEXT    NOT NULL,
  PRIMARY KEY (app_id, position)
) WITHOUT ROWID;

-- What the app's certificate says; the certificate and key themselves are files (key mode 0600).
CREATE TABLE certs (
  app_id      TEXT PRIMARY KEY,
  source      TEXT NOT NULL,            -- manual | self-signed | letsencrypt
  subject     TEXT NOT NULL,
  issuer      TEXT NOT NULL,
  names       TEXT NOT NULL,            -- JSON array of DNS names
  not_before  TEXT NOT NULL,
  not_after   TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  serial      TEXT NOT NULL,
  added_at    TEXT NOT NULL
) WITHOUT ROWID;
