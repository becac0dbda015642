import { UserError } from '../lib/errors.ts';
import { printable } from '../lib/validate.ts';

/**
 * The small template language of an app's `nginx.conf.sigil`: a subset of the Go-template shapes
 * Dokku's templates use, evaluated here without Go, a shell or any function calls.
 *
 *   {{ .NAME }}                       a variable's value
 *   {{ range .LIST }} … {{ . }} … {{ end }}   once per item of a list
 *   {{ if .NAME }} … {{ else }} … {{ end }}   a non-empty value (or list)
 *   {{- … -}}                         trims the whitespace on that side
 *
 * Anything else between braces (pipes, functions, `var`, `$x :=`) is refused, as is a variable
 * the template was not given: the values are what dokku knows about the app, never a server path.
 */

export type TemplateValue = string | string[];
export type TemplateVars = Readonly<Record<string, TemplateValue>>;

export class TemplateError extends UserError {
  constructor(message: string) {
    super(`nginx.conf.sigil: ${message}`);
    this.name = 'TemplateError';
  }
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'var'; name: string | '.' }
  | { kind: 'range'; name: string; body: Node[] }
  | { kind: 'if'; name: string; then: Node[]; else: Node[] };

const ACTION = /\{\{(-?)\s*(.*?)\s*(-?)\}\}/gs;
const NAME = /^\.([A-Z][A-Z0-9_]*)$/;

interface Token {
  text: string;
  line: number;
  action?: string;
}

function tokens(source: string): Token[] {
  const out: Token[] = [];
  let last = 0;
  let trimNext = false;
  const lineAt = (i: number) => source.slice(0, i).split('\n').length;
  for (const m of source.matchAll(ACTION)) {
    let text = source.slice(last, m.index);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (m[1] === '-') text = text.replace(/\s+$/, '');
    out.push({ text, line: lineAt(last) });
    out.push({ text: '', line: lineAt(m.index), action: m[2]! });
    trimNext = m[3] === '-';
    last = m.index + m[0].length;
  }
  let rest = source.slice(last);
  if (trimNext) rest = rest.replace(/^\s+/, '');
  out.push({ text: rest, line: lineAt(last) });
  if (out.some((t) => t.action === undefined && t.text.includes('{{'))) throw new TemplateError('an unterminated {{ action');
  return out;
}

function parse(source: string): Node[] {
  const list = tokens(source);
  let i = 0;
  const block = (inside: 'top' | 'range' | 'if'): { nodes: Node[]; end: 'end' | 'else' | 'eof' } => {
    const nodes: Node[] = [];
    while (i < list.length) {
      const t = list[i++]!;
      if (t.action === undefined) {
        if (t.text) nodes.push({ kind: 'text', text: t.text });
        continue;
      }
      const a = t.action;
      const at = `line ${t.line}`;
      if (a === 'end' || a === 'else') {
        if (inside === 'top' || (a === 'else' && inside !== 'if')) throw new TemplateError(`{{ ${a} }} without a matching range or if (${at})`);
        return { nodes, end: a };
      }
      if (a === '.') {
        if (inside === 'top') throw new TemplateError(`{{ . }} outside a range (${at})`);
        nodes.push({ kind: 'var', name: '.' });
        continue;
      }
      const words = a.split(/\s+/);
      if (words.length === 1 && NAME.test(a)) {
        nodes.push({ kind: 'var', name: NAME.exec(a)![1]! });
        continue;
      }
      if (words.length === 2 && (words[0] === 'range' || words[0] === 'if') && NAME.test(words[1]!)) {
        const name = NAME.exec(words[1]!)![1]!;
        const body = block(words[0]);
        if (body.end === 'eof') throw new TemplateError(`{{ ${words[0]} }} without {{ end }} (${at})`);
        if (words[0] === 'range') {
          if (body.end === 'else') throw new TemplateError(`{{ else }} inside a range (${at})`);
          nodes.push({ kind: 'range', name, body: body.nodes });
        } else {
          const other = body.end === 'else' ? block('if') : { nodes: [], end: 'end' as const };
          if (other.end !== 'end') throw new TemplateError(`{{ if }} without {{ end }} (${at})`);
          nodes.push({ kind: 'if', name, then: body.nodes, else: other.nodes });
        }
        continue;
      }
      throw new TemplateError(`unsupported action {{ ${printable(a.slice(0, 60))} }} (${at}): use {{ .NAME }}, range, if, else, end`);
    }
    return { nodes, end: 'eof' };
  };
  const top = block('top');
  return top.nodes;
}

function lookup(vars: TemplateVars, name: string): TemplateValue {
  if (!Object.hasOwn(vars, name)) throw new TemplateError(`unknown variable .${name}: use one of ${Object.keys(vars).sort().map((k) => `.${k}`).join(', ')}`);
  return vars[name]!;
}

function evaluate(nodes: Node[], vars: TemplateVars, dot: string | undefined): string {
  let out = '';
  for (const n of nodes) {
    if (n.kind === 'text') out += n.text;
    else if (n.kind === 'var') {
      const v = n.name === '.' ? dot! : lookup(vars, n.name);
      out += Array.isArray(v) ? v.join(' ') : v;
    } else if (n.kind === 'range') {
      const v = lookup(vars, n.name);
      for (const item of Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean)) out += evaluate(n.body, vars, item);
    } else {
      const v = lookup(vars, n.name);
      out += evaluate(v.length > 0 && v !== 'false' ? n.then : n.else, vars, dot);
    }
  }
  return out;
}

/** The template's text with its actions evaluated; a TemplateError names what is wrong. */
export function renderTemplate(source: string, vars: TemplateVars): string {
  return evaluate(parse(source), vars, undefined);
}
