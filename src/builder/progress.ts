/**
 * Docker's build and import endpoints answer with a stream of JSON objects, one per line:
 * `{stream}` text, `{status}` progress, `{aux}` results, `{error}` when it failed.
 */
import { LineFramer } from '../lib/lines.ts';

export interface DockerMessage {
  stream?: string;
  status?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Follows a build's answer: its `stream` text said line by line (a bare CR ends a progress line),
 * resolving with the daemon's error message, if it reported one.
 */
export async function followBuildOutput(stream: NodeJS.ReadableStream, say: (line: string) => void): Promise<string | undefined> {
  let error: string | undefined;
  const lines = new LineFramer({ crEndsLine: true });
  await followJsonStream(stream, (m) => {
    if (m.stream) lines.push(m.stream).forEach(say);
    if (m.error) error = m.errorDetail?.message ?? m.error;
  });
  lines.flush().forEach(say);
  return error;
}

export function followJsonStream(stream: NodeJS.ReadableStream, onMessage: (m: DockerMessage) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    let rest = '';
    const decoder = new TextDecoder();
    const take = (text: string) => {
      rest += text;
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) onMessage(parseMessage(line));
    };
    stream.on('data', (c: Buffer) => take(decoder.decode(c, { stream: true })));
    stream.on('end', () => {
      take(decoder.decode());
      if (rest.trim()) onMessage(parseMessage(rest));
      resolve();
    });
    stream.on('error', reject);
  });
}

function parseMessage(line: string): DockerMessage {
  try {
    return JSON.parse(line) as DockerMessage;
  } catch {
    return { stream: `${line}\n` };
  }
}
