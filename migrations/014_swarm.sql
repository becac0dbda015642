-- Images pushed to the registry for swarm apps (ReleaseImagePushed): a release whose image was
-- pushed once deploys that digest again, on any node, even after the local image is pruned.
CREATE TABLE pushed_images (
  app_id TEXT NOT NULL,
  image TEXT NOT NULL,
  reference TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (app_id, image)
);
-- registry:login: the credentials images are pushed with (the password masked in audit output).
CREATE TABLE registry_logins (
  server TEXT PRIMARY KEY,
  username TEXT NOT NULL,
  password TEXT NOT NULL
);
