import type { Database } from './db.ts';

/** Every name the app has had that no other app holds now: the names its images were made under. */
export function ownNames(db: Database, appId: string): string[] {
  return db
    .prepare('SELECT n.name FROM app_names n WHERE n.app_id = ? AND NOT EXISTS (SELECT 1 FROM apps a WHERE a.name = n.name AND a.id <> n.app_id)')
    .all<{ name: string }>(appId)
    .map((r) => r.name);
}

/** The name of another app one of whose releases runs this image id, if any. */
export function otherAppReleasing(db: Database, appId: string, imageId: string): string | undefined {
  return db
    .prepare('SELECT a.name FROM releases r JOIN apps a ON a.id = r.app_id WHERE r.image = ? AND r.app_id <> ? LIMIT 1')
    .get<{ name: string }>(imageId, appId)?.name;
}
