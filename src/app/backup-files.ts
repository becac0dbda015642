/**
 * What the platform backup's export and import share on disk: a staging directory under
 * `$DOKKU_ROOT/.tmp` (0700, removed afterwards) and a walk over a directory tree that keeps regular
 * files and directories and names what it leaves out.
 */
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Settings } from '../lib/settings.ts';

export interface Staging {
  dir: string;
  remove(): void;
}

/** A fresh directory under `$DOKKU_ROOT/.tmp`; `remove` takes it away, and `.tmp` too if this made it and it is empty. */
export function makeStaging(settings: Settings, purpose: string): Staging {
  const tmp = join(settings.root, '.tmp');
  // The first directory this made (`.tmp`, or DOKKU_ROOT itself on a host that had none).
  const made = mkdirSync(tmp, { recursive: true, mode: 0o700 });
  const dir = mkdtempSync(join(tmp, `${purpose}-`));
  return {
    dir,
    remove() {
      rmSync(dir, { recursive: true, force: true });
      if (made === undefined) return;
      for (let d = tmp; ; d = dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          return; // something else is in it now
        }
        if (d === made || dirname(d) === d) return;
      }
    },
  };
}

export interface TreeEntry {
  /** Path below the walked directory, '/'-separated; '' is the directory itself. */
  rel: string;
  disk: string;
  type: 'dir' | 'file';
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** Every directory and regular file under `dir` (itself first), in name order; symlinks and the rest go to `skipped`. */
export function walkTree(dir: string, skipped: string[] = []): TreeEntry[] {
  const out: TreeEntry[] = [];
  const visit = (disk: string, rel: string) => {
    const st = lstatSync(disk);
    const base = { rel, disk, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: Math.floor(st.mtimeMs / 1000) };
    if (st.isDirectory()) {
      out.push({ ...base, type: 'dir' });
      for (const name of readdirSync(disk).sort()) visit(join(disk, name), rel === '' ? name : `${rel}/${name}`);
    } else if (st.isFile()) {
      out.push({ ...base, type: 'file' });
    } else {
      skipped.push(disk);
    }
  };
  visit(dir, '');
  return out;
}

/** Whether a path is there and, for a directory, holds anything. */
export function holdsData(path: string): boolean {
  try {
    const st = lstatSync(path);
    return st.isDirectory() ? readdirSync(path).length > 0 : true;
  } catch {
    return false;
  }
}
