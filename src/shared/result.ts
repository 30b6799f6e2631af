// One result shape for work that can fail in ways the caller handles: failures as data, turned
// into text and an exit code at one boundary (src/cli/cli-failure.ts).
export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };
