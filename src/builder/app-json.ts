import type { AppJson, Healthcheck } from '../lib/types.ts';
import { printable } from '../lib/validate.ts';
import { BuildError } from './errors.ts';

const CHECK_TYPES = ['startup', 'liveness', 'readiness'] as const;
const NUMBER_FIELDS = ['attempts', 'timeout', 'wait', 'initialDelay', 'port'] as const;
const STRING_FIELDS = ['name', 'path', 'content'] as const;

/**
 * Reads what a deploy needs from app.json, in Dokku's shape:
 * `healthchecks.<process type>[]` and `scripts.dokku.predeploy` / `postdeploy`.
 * Other keys (name, env, addons, formation, ...) are allowed and ignored.
 */
export function parseAppJson(text: string): AppJson {
  let doc: unknown;
  try {
    doc = JSON.parse(withoutLineComments(text.replace(/^\uFEFF/, '')));
  } catch (err) {
    throw fail(`not valid JSON (${(err as Error).message})`);
  }
  if (!isObject(doc)) throw fail('the top level must be an object');
  const result: AppJson = { healthchecks: {} };

  if (doc.healthchecks !== undefined) {
    if (!isObject(doc.healthchecks)) throw fail('healthchecks must be an object of process type → list of checks');
    for (const [processType, checks] of Object.entries(doc.healthchecks)) {
      if (!Array.isArray(checks)) throw fail(`healthchecks.${processType} must be a list`);
      result.healthchecks[processType] = checks.map((c, i) => parseCheck(c, `healthchecks.${processType}[${i}]`));
    }
  }

  if (doc.scripts !== undefined) {
    if (!isObject(doc.scripts)) throw fail('scripts must be an object');
    const dokku = doc.scripts.dokku;
    if (dokku !== undefined) {
      if (!isObject(dokku)) throw fail('scripts.dokku must be an object');
      for (const phase of ['predeploy', 'postdeploy'] as const) {
        const value = dokku[phase];
        if (value === undefined || value === '') continue;
        if (typeof value !== 'string') throw fail(`scripts.dokku.${phase} must be a string`);
        result[phase] = value;
      }
    }
  }
  return result;
}

/**
 * Dokku reads app.json with `//` comments; `//` inside a string (a URL) is kept. Each comment
 * becomes spaces, so JSON.parse's positions still point into the user's file.
 */
export function withoutLineComments(text: string): string {
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (inString) {
      out += ch;
      if (ch === '\\') out += text[++i] ?? '';
      else if (ch === '"') inString = false;
    } else if (ch === '"') {
      inString = true;
      out += ch;
    } else if (ch === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n' && text[i] !== '\r') {
        out += ' ';
        i++;
      }
      i--;
    } else {
      out += ch;
    }
  }
  return out;
}

function parseCheck(raw: unknown, where: string): Healthcheck {
  if (!isObject(raw)) throw fail(`${where} must be an object`);
  const type = raw.type ?? 'startup';
  if (!CHECK_TYPES.includes(type as Healthcheck['type'])) {
    throw fail(`${where}.type must be one of ${CHECK_TYPES.join(', ')}, got '${printable(String(type))}'`);
  }
  const check: Healthcheck = { type: type as Healthcheck['type'] };
  for (const key of STRING_FIELDS) {
    const value = raw[key];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw fail(`${where}.${key} must be a string`);
    check[key] = value;
  }
  if (check.path !== undefined && !check.path.startsWith('/')) throw fail(`${where}.path must start with '/'`);
  for (const key of NUMBER_FIELDS) {
    const value = raw[key];
    if (value === undefined) continue;
    const min = key === 'attempts' || key === 'timeout' || key === 'port' ? 1 : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (key === 'port' && (!Number.isInteger(value) || value > 65535))) {
      throw fail(`${where}.${key} must be a number${key === 'port' ? ' from 1 to 65535' : min ? ' of at least 1' : ' of at least 0'}`);
    }
    check[key] = value;
  }
  return check;
}

function fail(why: string): BuildError {
  return new BuildError('app.json', `Invalid app.json: ${why}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
