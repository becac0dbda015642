-- Cron tasks an app's key suspended (cron:suspend), by task id; '*' suspends all of the app's.
CREATE TABLE cron_suspended (
  app_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  PRIMARY KEY (app_id, task_id)
);
-- The last run of each task (cron:list): when it started, how it ended.
CREATE TABLE cron_runs (
  app_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  container TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  exit_code INTEGER,
  seconds REAL,
  PRIMARY KEY (app_id, task_id)
);
