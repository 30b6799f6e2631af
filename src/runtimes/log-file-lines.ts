// A detached server's log file as output lines: plain lines, so each carries the time the file
// was last written (the closest a file of plain lines can say).
import { readFile, stat } from 'node:fs/promises';
import type { OutputLine } from './container-runtime.js';

export async function logFileLines(file: string): Promise<OutputLine[]> {
  const [text, written] = await Promise.all([
    readFile(file, 'utf8').catch(() => ''),
    stat(file).then(
      (info) => Math.floor(info.mtimeMs),
      () => Date.now(),
    ),
  ]);
  return text
    .split('\n')
    .filter((line) => line.length > 0)
    .map((message) => ({ timestamp: written, message }));
}
