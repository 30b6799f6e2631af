// S3 lists keys in UTF-8 binary order. JavaScript compares strings by UTF-16 code units, which
// differs only where a surrogate pair (a code point above U+FFFF) meets U+E000–U+FFFF: mapping
// each code unit as below makes the comparison agree with UTF-8's, with no buffer per comparison.
const unitRank = (unit: number): number =>
  unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;

export function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

/** The index of the first key in sorted keys that comes after `after` (0 when it is ''). */
export function firstAfter(keys: readonly string[], after: string): number {
  let low = 0;
  let high = keys.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (compareKeys(keys[middle] as string, after) <= 0) low = middle + 1;
    else high = middle;
  }
  return low;
}

export function insertSorted(keys: string[], key: string): void {
  const at = firstAfter(keys, key);
  if (keys[at - 1] !== key) keys.splice(at, 0, key);
}

export function removeSorted(keys: string[], key: string): void {
  const at = firstAfter(keys, key) - 1;
  if (keys[at] === key) keys.splice(at, 1);
}
