// Why a stage must run, as data: the plan, the progress output and `--json` all show the same
// reasons, and each says exactly which input changed.
import { canonicalJson } from '../../shared/canonical-json.js';
import type { InputSnapshot } from './input-snapshot.js';
import { isSecretDigest } from './secret-digest.js';
import { parseTreeValue, type TreeHashes, type TreeListings } from './tree-listings.js';

export type StaleReason =
  | { kind: 'never-ran' }
  | { kind: 'failed'; message: string }
  | { kind: 'interrupted'; handle?: unknown }
  | { kind: 'stage-changed'; before: number; after: number }
  | { kind: 'config-changed'; key: string; before: unknown; after: unknown }
  /** A config value that is or holds a secret: only that it changed is said, never the value. */
  | { kind: 'secret-changed'; key: string }
  | { kind: 'file-changed'; path: string; change: 'added' | 'removed' | 'modified' }
  | { kind: 'upstream-changed'; stage: string }
  /** What its last success made has changed or gone outside pipeline (an endpoint deleted). */
  | { kind: 'drifted'; what: string }
  | { kind: 'upstream-runs'; stage: string }
  | { kind: 'forced'; by: string };

/** Config values flattened to leaves: {training: {epochs: 2}} → {"training.epochs": 2}. */
function flatten(prefix: string, value: unknown, into: Map<string, unknown>): Map<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
    for (const [key, child] of Object.entries(value)) flatten(`${prefix}.${key}`, child, into);
  } else {
    into.set(prefix, value);
  }
  return into;
}

/**
 * The entries of two snapshots' files that differ, with each differing tree value replaced by its
 * files where its listing is kept: a change in a folder of 100,000 files is named file by file,
 * and a folder that crossed the summing-up threshold compares file by file with its old entries.
 */
function changedFiles(
  before: TreeHashes,
  after: TreeHashes,
  listings: TreeListings,
): [TreeHashes, TreeHashes] {
  const sides: [TreeHashes, TreeHashes] = [{}, {}];
  for (const [side, files, other] of [
    [sides[0], before, after],
    [sides[1], after, before],
  ] as const) {
    for (const [path, hash] of Object.entries(files)) {
      if (other[path] === hash) continue;
      const listed = parseTreeValue(hash) && listings.listing(hash as string);
      if (listed) Object.assign(side, listed);
      else side[path] = hash;
    }
  }
  return sides;
}

export function diffSnapshots(
  before: InputSnapshot,
  after: InputSnapshot,
  listings: TreeListings = { listing: () => undefined },
): StaleReason[] {
  const reasons: StaleReason[] = [];
  if (before.stageVersion !== after.stageVersion) {
    reasons.push({ kind: 'stage-changed', before: before.stageVersion, after: after.stageVersion });
  }
  const oldConfig = new Map<string, unknown>();
  const newConfig = new Map<string, unknown>();
  for (const [key, value] of Object.entries(before.config)) flatten(key, value, oldConfig);
  for (const [key, value] of Object.entries(after.config)) flatten(key, value, newConfig);
  for (const key of new Set([...oldConfig.keys(), ...newConfig.keys()])) {
    const [was, now] = [oldConfig.get(key), newConfig.get(key)];
    if (canonicalJson(was) === canonicalJson(now)) continue;
    if (isSecretDigest(was) || isSecretDigest(now)) reasons.push({ kind: 'secret-changed', key });
    else reasons.push({ kind: 'config-changed', key, before: was, after: now });
  }
  const [was, now] = changedFiles(before.files, after.files, listings);
  for (const path of new Set([...Object.keys(was), ...Object.keys(now)])) {
    const [old, current] = [was[path] ?? null, now[path] ?? null];
    if (old === current) continue;
    const change = old === null ? 'added' : current === null ? 'removed' : 'modified';
    reasons.push({ kind: 'file-changed', path, change });
  }
  for (const stage of new Set([...Object.keys(before.upstream), ...Object.keys(after.upstream)])) {
    if (before.upstream[stage] !== after.upstream[stage]) reasons.push({ kind: 'upstream-changed', stage });
  }
  return reasons;
}

function showValue(value: unknown): string {
  if (value === undefined) return '(unset)';
  const text = typeof value === 'string' ? value : canonicalJson(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

export function describeReason(reason: StaleReason): string {
  switch (reason.kind) {
    case 'never-ran':
      return 'first run';
    case 'failed':
      return `last attempt failed: ${reason.message}`;
    case 'interrupted':
      return 'last attempt was interrupted';
    case 'stage-changed':
      return `stage definition changed (v${reason.before} → v${reason.after})`;
    case 'config-changed':
      return `${reason.key}: ${showValue(reason.before)} → ${showValue(reason.after)}`;
    case 'secret-changed':
      return `${reason.key}: (secret changed)`;
    case 'file-changed':
      return `${reason.path} ${reason.change}`;
    case 'upstream-changed':
      return `${reason.stage}'s outputs changed`;
    case 'drifted':
      return reason.what;
    case 'upstream-runs':
      return `${reason.stage} runs first`;
    case 'forced':
      return `forced by ${reason.by}`;
  }
}

/** A short list for one line: the first few reasons and how many more. */
export function summarizeReasons(reasons: readonly StaleReason[], limit = 3): string {
  const shown = reasons.slice(0, limit).map(describeReason);
  const more = reasons.length - shown.length;
  return more > 0 ? `${shown.join('; ')}; +${more} more` : shown.join('; ');
}
