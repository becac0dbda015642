import { processTypeProblem } from '../lib/process-type.ts';
import type { ProcessTypes } from '../lib/types.ts';
import { printable } from '../lib/validate.ts';
import { BuildError } from './errors.ts';

/**
 * Parses a Procfile: `type: command` per line; blank lines and `#` comments are skipped.
 * Every bad line is reported with its number, all at once, so one push fixes them all.
 */
export function parseProcfile(text: string): ProcessTypes {
  const types: ProcessTypes = {};
  const firstSeen: Record<string, number> = {};
  const problems: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  lines.forEach((raw, i) => {
    const n = i + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon === -1) {
      problems.push(`line ${n}: expected 'type: command', got '${printable(line)}'`);
      return;
    }
    const name = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    const invalid = processTypeProblem(name);
    if (invalid) {
      problems.push(`line ${n}: ${invalid}`);
      return;
    }
    if (command === '') {
      problems.push(`line ${n}: process type '${name}' has no command`);
      return;
    }
    if (firstSeen[name] !== undefined) {
      problems.push(`line ${n}: process type '${name}' is already defined on line ${firstSeen[name]}`);
      return;
    }
    firstSeen[name] = n;
    types[name] = command;
  });
  if (problems.length > 0) throw new BuildError('procfile', `Invalid Procfile: ${problems.join('; ')}`);
  return types;
}
