import type { AppJson, AppJsonEnv, Healthcheck } from '../lib/types.ts';
import { checkBuildpack } from '../lib/buildpack-ref.ts';
import { processTypeProblem } from '../lib/process-type.ts';
import { printable } from '../lib/validate.ts';

const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The most containers one process type may ask for, as ps:scale allows. */
const MAX_QUANTITY = 100;
import { BuildError } from './errors.ts';
import { cronCommandProblem, cronId, cronScheduleProblem, MAX_CRON_TASKS, type CronTask } from '../lib/cron.ts';

const CHECK_TYPES = ['startup', 'liveness', 'readiness'] as const;
const NUMBER_FIELDS = ['attempts', 'timeout', 'wait', 'initialDelay', 'port'] as const;
const STRING_FIELDS = ['name', 'path', 'content'] as const;

/**
 * Reads what a deploy needs from app.json, in Dokku's shape:
 * `healthchecks.<process type>[]`, `scripts.dokku.predeploy` / `postdeploy`, `scripts.postdeploy`,
 * `env`, `formation`, `buildpacks` and `cron`. Other keys (name, addons, ...) are allowed and ignored.
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
    const first = doc.scripts.postdeploy;
    if (first !== undefined && first !== '') {
      if (typeof first !== 'string') throw fail('scripts.postdeploy must be a string');
      result.firstPostdeploy = first;
    }
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
  if (doc.env !== undefined) result.env = parseEnv(doc.env);
  if (doc.formation !== undefined) result.formation = parseFormation(doc.formation);
  if (doc.buildpacks !== undefined) result.buildpacks = parseBuildpacks(doc.buildpacks);
  if (doc.cron !== undefined) result.cron = parseCron(doc.cron);
  return result;
}

/** `cron`: a list of `{ command, schedule[, maintenance] }`; a bad entry fails the build, before anything is deployed. */
function parseCron(raw: unknown): CronTask[] {
  if (!Array.isArray(raw)) throw fail('cron must be a list of { "command": "…", "schedule": "…" }');
  if (raw.length > MAX_CRON_TASKS) throw fail(`cron has more than ${MAX_CRON_TASKS} tasks`);
  const tasks: CronTask[] = [];
  raw.forEach((entry, i) => {
    if (!isObject(entry)) throw fail(`cron[${i}] must be an object`);
    const { command, schedule, maintenance } = entry;
    if (typeof command !== 'string') throw fail(`cron[${i}].command must be a string`);
    if (typeof schedule !== 'string') throw fail(`cron[${i}].schedule must be a string`);
    if (maintenance !== undefined && typeof maintenance !== 'boolean') throw fail(`cron[${i}].maintenance must be true or false`);
    const problem = cronCommandProblem(command) ?? cronScheduleProblem(schedule);
    if (problem) throw fail(`cron[${i}]: ${problem}`);
    const id = cronId(schedule, command);
    if (tasks.some((t) => t.id === id)) throw fail(`cron[${i}] repeats an earlier task`);
    tasks.push({ id, schedule: schedule.trim(), command, ...(maintenance ? { maintenance: true } : {}) });
  });
  return tasks;
}

function parseEnv(raw: unknown): Record<string, AppJsonEnv> {
  if (!isObject(raw)) throw fail('env must be an object of KEY → value or { "value", "required", "description" }');
  const env: Record<string, AppJsonEnv> = {};
  for (const [key, spec] of Object.entries(raw)) {
    if (!CONFIG_KEY.test(key)) throw fail(`env key '${printable(key)}' is not a config key (letters, digits and underscores, not starting with a digit)`);
    if (typeof spec === 'string') {
      if (spec.includes('\0')) throw fail(`env.${key} contains a NUL byte`);
      env[key] = { value: spec, required: false };
      continue;
    }
    if (!isObject(spec)) throw fail(`env.${key} must be a string or an object`);
    const entry: AppJsonEnv = { required: false };
    if (spec.value !== undefined) {
      if (typeof spec.value !== 'string') throw fail(`env.${key}.value must be a string`);
      entry.value = spec.value;
    }
    if (spec.required !== undefined) {
      if (typeof spec.required !== 'boolean') throw fail(`env.${key}.required must be true or false`);
      entry.required = spec.required;
    }
    if (spec.description !== undefined) {
      if (typeof spec.description !== 'string') throw fail(`env.${key}.description must be a string`);
      entry.description = spec.description;
    }
    if (entry.value?.includes('\0')) throw fail(`env.${key}.value contains a NUL byte`);
    env[key] = entry;
  }
  return env;
}

function parseFormation(raw: unknown): Record<string, number> {
  if (!isObject(raw)) throw fail('formation must be an object of process type → { "quantity": N }');
  const formation: Record<string, number> = {};
  for (const [type, spec] of Object.entries(raw)) {
    const problem = processTypeProblem(type);
    if (problem) throw fail(`formation: ${problem}`);
    if (!isObject(spec)) throw fail(`formation.${type} must be an object`);
    if (spec.quantity === undefined) continue;
    const q = spec.quantity;
    if (typeof q !== 'number' || !Number.isInteger(q) || q < 0 || q > MAX_QUANTITY) throw fail(`formation.${type}.quantity must be a whole number from 0 to ${MAX_QUANTITY}`);
    formation[type] = q;
  }
  return formation;
}

function parseBuildpacks(raw: unknown): string[] {
  if (!Array.isArray(raw)) throw fail('buildpacks must be a list of { "url": "…" }');
  return raw.map((bp, i) => {
    if (!isObject(bp) || typeof bp.url !== 'string') throw fail(`buildpacks[${i}] must be an object with a url string`);
    const checked = checkBuildpack(bp.url);
    if (!checked.ok) throw fail(`buildpacks[${i}]: ${checked.problem}`);
    return bp.url;
  });
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
