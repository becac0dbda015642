-- The app's own nginx template (nginx.conf.sigil from its source), kept with each release so a
-- rollback routes with the template it deployed with. Releases recorded before this had none.
ALTER TABLE releases ADD COLUMN nginx_template TEXT;
