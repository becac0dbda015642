import type { ProcessTypes } from '../lib/types.ts';

/**
 * Reads `default_process_types` from a buildpack's `bin/release` output. That output is YAML, but
 * buildpacks only ever print a flat map or two, so this reads that subset instead of pulling in a
 * YAML library:
 *
 *   ---
 *   addons: []
 *   default_process_types:
 *     web: npm start
 *
 * (and the flow form `default_process_types: { web: "npm start" }` for one line).
 */
export function parseReleaseYaml(text: string): ProcessTypes {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const types: ProcessTypes = {};
  const at = lines.findIndex((l) => /^default_process_types\s*:/.test(l));
  if (at === -1) return types;
  const inline = lines[at]!.replace(/^default_process_types\s*:/, '').trim();
  if (inline.startsWith('{')) return parseFlowMap(inline);
  for (const line of lines.slice(at + 1)) {
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) break; // back at the top level
    const m = /^\s+([^:\s]+)\s*:\s?(.*)$/.exec(line);
    if (!m) continue;
    const value = unquote(m[2]!.trim());
    if (value !== '') types[unquote(m[1]!)] = value;
  }
  return types;
}

function parseFlowMap(text: string): ProcessTypes {
  const body = text.replace(/^\{/, '').replace(/\}\s*$/, '').trim();
  const types: ProcessTypes = {};
  if (body === '') return types;
  // Split on commas outside quotes.
  const parts: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (const ch of body) {
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === ',') {
      parts.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon === -1) continue;
    const value = unquote(part.slice(colon + 1).trim());
    if (value !== '') types[unquote(part.slice(0, colon).trim())] = value;
  }
  return types;
}

function unquote(text: string): string {
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) return text.slice(1, -1).replace(/''/g, "'");
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    try {
      return JSON.parse(text) as string;
    } catch {
      return text.slice(1, -1);
    }
  }
  return text;
}
