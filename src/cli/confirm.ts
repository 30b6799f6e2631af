// Asks a yes/no question on the terminal; without one (CI, a pipe) the answer is no, and the
// command says to pass --yes instead.
import { createInterface } from 'node:readline/promises';
import type { CliIo } from './cli-io.js';

export async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!io.stdin?.isTTY) return false;
  const prompt = createInterface({ input: io.stdin, output: io.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}
