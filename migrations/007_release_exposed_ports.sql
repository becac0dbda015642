-- Every tcp port a release's image EXPOSEs when there is more than one (Dokku maps each to
-- http:P:P); '[]' for releases with one port or none, whose web port says it all.
ALTER TABLE releases ADD COLUMN exposed_ports TEXT NOT NULL DEFAULT '[]';
