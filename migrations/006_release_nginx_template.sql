-- The app's own nginx template (nginx.conf.sigil from its source), kept with each release so a
-- rollback routes with the template it deployed with.
ALTER TABLE releases ADD COLUMN nginx_template TEXT;

UPDATE releases SET nginx_template = (
  SELECT json_extract(e.data, '$.nginxTemplate') FROM events e
  WHERE e.type = 'ReleaseCreated' AND e.stream = 'app/' || releases.app_id AND json_extract(e.data, '$.version') = releases.version
);
