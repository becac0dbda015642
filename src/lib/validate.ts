import { UserError } from './errors.ts';

// An app name becomes a hostname label and a container name, so it must be a DNS label.
const APP_NAME = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const CONFIG_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function validateAppName(name: string): string {
  if (name === '') throw new UserError('App name must not be empty');
  if (name.length > 63) throw new UserError(`App name is too long (${name.length} characters, at most 63)`);
  if (!APP_NAME.test(name)) {
    throw new UserError(
      `Invalid app name '${printable(name)}': use lowercase letters, digits and dashes, starting with a letter or digit and not ending with a dash`,
    );
  }
  return name;
}

export function validateConfigKey(key: string): string {
  if (!CONFIG_KEY.test(key)) {
    throw new UserError(`Invalid config key '${printable(key)}': use letters, digits and underscores, not starting with a digit`);
  }
  return key;
}

/** `KEY=VALUE` → [key, value]; the value keeps every byte after the first `=`. */
export function parseAssignment(pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new UserError(`Expected KEY=VALUE, got '${printable(pair)}'`);
  const key = validateConfigKey(pair.slice(0, eq));
  const value = pair.slice(eq + 1);
  if (value.includes('\0')) throw new UserError(`Value of ${key} contains a NUL byte`);
  return [key, value];
}

export function decodeBase64Value(key: string, encoded: string): string {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(encoded) || encoded.length % 4 === 1) {
    throw new UserError(`Value of ${key} is not valid base64`);
  }
  let value: string;
  try {
    value = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(Buffer.from(encoded, 'base64'));
  } catch {
    throw new UserError(`Value of ${key} is not valid UTF-8 once decoded`);
  }
  if (value.includes('\0')) throw new UserError(`Value of ${key} contains a NUL byte`);
  return value;
}

export function parsePositiveInt(label: string, text: string, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text)) throw new UserError(`${label} must be a whole number, got '${printable(text)}'`);
  const n = Number(text);
  if (n < 1 || n > max) throw new UserError(`${label} must be between 1 and ${max}, got ${text}`);
  return n;
}

/** C0 controls (ESC, CR, BEL, ...), DEL and the C1 controls (CSI U+009B among them). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Text as a terminal may show it: every control character becomes `\xHH`, so a stored word can
 * neither move the cursor, clear the screen nor fake a line. Output only; the log keeps the bytes.
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** For echoing user input in an error: control characters shown escaped, long input cut. */
export function printable(text: string): string {
  const escaped = escapeControls(text);
  return escaped.length > 80 ? `${escaped.slice(0, 77)}...` : escaped;
}
