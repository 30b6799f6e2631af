// A training job's log, kept as JSON lines beside the job, and read back the way CloudWatch Logs
// serves it: one stream per job (JOB/algo-1-EPOCH), events from the head, forward tokens.
import { appendFileSync, readFileSync } from 'node:fs';
import type { LogEvent } from '../logs/logs.js';

export class JobLog {
  constructor(readonly file: string) {}

  append(message: string): void {
    appendFileSync(this.file, `${JSON.stringify({ timestamp: Date.now(), message })}\n`);
  }

  read(): LogEvent[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as LogEvent);
  }
}
