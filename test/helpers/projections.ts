import type { Database } from '../../src/state/db.ts';
import { PROJECTION_TABLES } from '../../src/state/projections.ts';

/**
 * Every projection table's rows, each as JSON, sorted: tables differ in width, and row order is
 * not part of what they mean, so two dumps are equal exactly when the tables hold the same rows.
 */
export function dumpProjections(db: Pick<Database, 'prepare'>): Record<string, string[]> {
  return Object.fromEntries(
    PROJECTION_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all().map((r) => JSON.stringify(r)).sort()]),
  );
}
