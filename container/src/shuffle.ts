// The seeded row order of each epoch. Both training engines draw it from the same generator, so
// with the same seed they see the same mini-batches.

/** mulberry32: a small, fast, seedable generator of floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Fisher-Yates shuffle of the row indexes. */
export function shuffledOrder(rows: number, random: () => number): Uint32Array {
  const order = new Uint32Array(rows);
  for (let i = 0; i < rows; i++) order[i] = i;
  for (let i = rows - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  return order;
}

/** The rows of `source` (each `width` floats) in the given order. */
export function permute(source: Float32Array, width: number, order: Uint32Array): Float32Array {
  const out = new Float32Array(source.length);
  for (let r = 0; r < order.length; r++) {
    const from = (order[r] as number) * width;
    out.set(source.subarray(from, from + width), r * width);
  }
  return out;
}
