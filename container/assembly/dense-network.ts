// The example network's arithmetic in WebAssembly SIMD (compiled by AssemblyScript): forward
// passes, and SGD on softmax cross-entropy through dense sigmoid layers, a whole run of
// mini-batches per call. TensorFlow.js pays a dispatch of about 14 µs per operation, and a
// mini-batch of this small network is about 30 operations of a few thousand multiply-adds each:
// here a mini-batch is one loop nest over f32x4 lanes, with no call in between.
//
// Memory is laid out by the host (src/dense-kernel.ts) and described by a plan of u32 words:
//   [0] L, the number of weight layers    [1] maxRows, the rows the buffers hold
//   [2 + 2l], [3 + 2l] for l = 0..L: the width of layer l, and that width rounded up to 4
//   then for l = 0..L-1: the address of W_l (rows of the padded output width) and of b_l
//   then for l = 1..L: the address of the activations of layer l (maxRows × padded width)
//   then the addresses of two gradient buffers (maxRows × the widest padded width).
// Every matrix is row-major with rows padded to a multiple of 4 floats; the padding of weights,
// biases and gradients is zero and stays zero, so vector loops never need a tail.

let lossSum: f64 = 0;
let correctCount: i32 = 0;

export function heapBase(): usize {
  return __heap_base;
}

export function resetTotals(): void {
  lossSum = 0;
  correctCount = 0;
}

export function totalLoss(): f64 {
  return lossSum;
}

export function totalCorrect(): i32 {
  return correctCount;
}

function word(plan: usize, index: i32): i32 {
  return load<i32>(plan + ((<usize>index) << 2));
}
function layers(plan: usize): i32 {
  return word(plan, 0);
}
function width(plan: usize, layer: i32): i32 {
  return word(plan, 2 + 2 * layer);
}
function stride(plan: usize, layer: i32): i32 {
  return word(plan, 3 + 2 * layer);
}
function kernelOf(plan: usize, layer: i32): usize {
  return <usize>word(plan, 2 + 2 * (layers(plan) + 1) + 2 * layer);
}
function biasOf(plan: usize, layer: i32): usize {
  return <usize>word(plan, 3 + 2 * (layers(plan) + 1) + 2 * layer);
}
function activationsOf(plan: usize, layer: i32): usize {
  return <usize>word(plan, 2 + 4 * layers(plan) + 2 + layer - 1);
}
function gradientBuffer(plan: usize, which: i32): usize {
  return <usize>word(plan, 2 + 5 * layers(plan) + 2 + which);
}
function at(base: usize, row: i32, rowStride: i32, column: i32): usize {
  return base + ((<usize>(row * rowStride + column)) << 2);
}

/** e^x for four lanes: Cody-Waite reduction by ln 2 and Cephes' expf polynomial (|rel err| < 2e-7). */
function exp4(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(<f32>Math.LOG2E)));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.1219444e-4)));
  let p = f32x4.splat(1.98756915e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  p = f32x4.add(f32x4.add(f32x4.mul(p, f32x4.mul(r, r)), r), f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  return f32x4.mul(p, scale);
}

/** out = in · W + b for `rows` rows, then the logistic sigmoid when `sigmoid` is set. */
function dense(
  input: usize,
  inputStride: i32,
  inputs: i32,
  rows: i32,
  kernel: usize,
  bias: usize,
  output: usize,
  outputStride: i32,
  sigmoid: bool,
): void {
  const vectors = outputStride >> 2;
  const one = f32x4.splat(1.0);
  for (let r = 0; r < rows; r++) {
    const a = at(input, r, inputStride, 0);
    const o = at(output, r, outputStride, 0);
    let j = 0;
    // Four output vectors at a time stay in registers across the whole dot product.
    for (; j + 4 <= vectors; j += 4) {
      const b = bias + ((<usize>j) << 4);
      let s0 = v128.load(b);
      let s1 = v128.load(b, 16);
      let s2 = v128.load(b, 32);
      let s3 = v128.load(b, 48);
      for (let k = 0; k < inputs; k++) {
        const x = f32x4.splat(load<f32>(a + ((<usize>k) << 2)));
        const w = at(kernel, k, outputStride, j << 2);
        s0 = f32x4.add(s0, f32x4.mul(x, v128.load(w)));
        s1 = f32x4.add(s1, f32x4.mul(x, v128.load(w, 16)));
        s2 = f32x4.add(s2, f32x4.mul(x, v128.load(w, 32)));
        s3 = f32x4.add(s3, f32x4.mul(x, v128.load(w, 48)));
      }
      if (sigmoid) {
        s0 = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(s0))));
        s1 = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(s1))));
        s2 = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(s2))));
        s3 = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(s3))));
      }
      const out = o + ((<usize>j) << 4);
      v128.store(out, s0);
      v128.store(out, s1, 16);
      v128.store(out, s2, 32);
      v128.store(out, s3, 48);
    }
    for (; j < vectors; j++) {
      let s = v128.load(bias + ((<usize>j) << 4));
      for (let k = 0; k < inputs; k++) {
        const x = f32x4.splat(load<f32>(a + ((<usize>k) << 2)));
        s = f32x4.add(s, f32x4.mul(x, v128.load(at(kernel, k, outputStride, j << 2))));
      }
      if (sigmoid) s = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(s))));
      v128.store(o + ((<usize>j) << 4), s);
    }
  }
}

/** Softmax over the first `classes` columns of each row in place; the padding becomes 0. */
function softmax(values: usize, rows: i32, classes: i32, rowStride: i32): void {
  for (let r = 0; r < rows; r++) {
    let largest: f32 = load<f32>(at(values, r, rowStride, 0));
    for (let c = 1; c < classes; c++) largest = max(largest, load<f32>(at(values, r, rowStride, c)));
    let sum: f32 = 0;
    for (let c = 0; c < classes; c++) {
      const e = Mathf.exp(load<f32>(at(values, r, rowStride, c)) - largest);
      store<f32>(at(values, r, rowStride, c), e);
      sum += e;
    }
    for (let c = 0; c < classes; c++) {
      const p = at(values, r, rowStride, c);
      store<f32>(p, load<f32>(p) / sum);
    }
    for (let c = classes; c < rowStride; c++) store<f32>(at(values, r, rowStride, c), 0);
  }
}

/** Forward pass of `rows` (≤ maxRows) input rows; the probabilities end in the last activations. */
function forward(plan: usize, input: usize, rows: i32): void {
  const count = layers(plan);
  let source = input;
  for (let l = 0; l < count; l++) {
    const output = activationsOf(plan, l + 1);
    dense(
      source,
      stride(plan, l),
      width(plan, l),
      rows,
      kernelOf(plan, l),
      biasOf(plan, l),
      output,
      stride(plan, l + 1),
      l + 1 < count,
    );
    source = output;
  }
  softmax(source, rows, width(plan, count), stride(plan, count));
}

/** Adds the cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7], as Keras does) and the
 * count of rows whose most probable class is the labelled one to the running totals. */
function tally(probabilities: usize, labels: usize, rows: i32, classes: i32, rowStride: i32): void {
  for (let r = 0; r < rows; r++) {
    let loss: f64 = 0;
    let predicted = 0;
    let labelled = 0;
    for (let c = 0; c < classes; c++) {
      const p = load<f32>(at(probabilities, r, rowStride, c));
      const y = load<f32>(at(labels, r, rowStride, c));
      if (y !== 0) loss -= <f64>y * Math.log(<f64>min(max(p, 1e-7), 1 - 1e-7));
      if (p > load<f32>(at(probabilities, r, rowStride, predicted))) predicted = c;
      if (y > load<f32>(at(labels, r, rowStride, labelled))) labelled = c;
    }
    lossSum += loss;
    if (predicted === labelled) correctCount++;
  }
}

/** One SGD step on `rows` rows: the output gradient (p - y) · rate / rows, then each layer back
 * to the input, every weight updated in place after its gradient has been passed down. */
function step(plan: usize, input: usize, labels: usize, rows: i32, rate: f32): void {
  const count = layers(plan);
  forward(plan, input, rows);
  const classes = width(plan, count);
  const classStride = stride(plan, count);
  const probabilities = activationsOf(plan, count);
  tally(probabilities, labels, rows, classes, classStride);

  let delta = gradientBuffer(plan, 0);
  let spare = gradientBuffer(plan, 1);
  const scale = f32x4.splat(rate / <f32>rows);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < classStride; j += 4) {
      const p = v128.load(at(probabilities, r, classStride, j));
      const y = v128.load(at(labels, r, classStride, j));
      v128.store(at(delta, r, classStride, j), f32x4.mul(f32x4.sub(p, y), scale));
    }
  }
  for (let l = count - 1; l >= 0; l--) {
    const outStride = stride(plan, l + 1);
    const inWidth = width(plan, l);
    const inStride = stride(plan, l);
    const activations = l === 0 ? input : activationsOf(plan, l);
    const kernel = kernelOf(plan, l);
    const vectors = outStride >> 2;
    // The gradient passed down: (delta · Wᵀ) ⊙ a(1 - a), with the weights before this update.
    if (l > 0) {
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < inWidth; k++) {
          let sum = f32x4.splat(0);
          for (let j = 0; j < vectors; j++) {
            sum = f32x4.add(
              sum,
              f32x4.mul(
                v128.load(at(delta, r, outStride, j << 2)),
                v128.load(at(kernel, k, outStride, j << 2)),
              ),
            );
          }
          const dot =
            f32x4.extract_lane(sum, 0) +
            f32x4.extract_lane(sum, 1) +
            f32x4.extract_lane(sum, 2) +
            f32x4.extract_lane(sum, 3);
          const a = load<f32>(at(activations, r, inStride, k));
          store<f32>(at(spare, r, inStride, k), dot * a * (1 - a));
        }
        for (let k = inWidth; k < inStride; k++) store<f32>(at(spare, r, inStride, k), 0);
      }
    }
    // W -= aᵀ · delta, a row of W at a time with the row in registers across the batch.
    for (let k = 0; k < inWidth; k++) {
      let j = 0;
      for (; j + 4 <= vectors; j += 4) {
        const w = at(kernel, k, outStride, j << 2);
        let w0 = v128.load(w);
        let w1 = v128.load(w, 16);
        let w2 = v128.load(w, 32);
        let w3 = v128.load(w, 48);
        for (let r = 0; r < rows; r++) {
          const a = f32x4.splat(load<f32>(at(activations, r, inStride, k)));
          const d = at(delta, r, outStride, j << 2);
          w0 = f32x4.sub(w0, f32x4.mul(a, v128.load(d)));
          w1 = f32x4.sub(w1, f32x4.mul(a, v128.load(d, 16)));
          w2 = f32x4.sub(w2, f32x4.mul(a, v128.load(d, 32)));
          w3 = f32x4.sub(w3, f32x4.mul(a, v128.load(d, 48)));
        }
        v128.store(w, w0);
        v128.store(w, w1, 16);
        v128.store(w, w2, 32);
        v128.store(w, w3, 48);
      }
      for (; j < vectors; j++) {
        const w = at(kernel, k, outStride, j << 2);
        let v = v128.load(w);
        for (let r = 0; r < rows; r++) {
          const a = f32x4.splat(load<f32>(at(activations, r, inStride, k)));
          v = f32x4.sub(v, f32x4.mul(a, v128.load(at(delta, r, outStride, j << 2))));
        }
        v128.store(w, v);
      }
    }
    // b -= Σ_rows delta
    const bias = biasOf(plan, l);
    for (let j = 0; j < vectors; j++) {
      const b = bias + ((<usize>j) << 4);
      let v = v128.load(b);
      for (let r = 0; r < rows; r++) v = f32x4.sub(v, v128.load(at(delta, r, outStride, j << 2)));
      v128.store(b, v);
    }
    const swap = delta;
    delta = spare;
    spare = swap;
  }
}

/**
 * SGD over `batches` consecutive mini-batches of `batchSize` rows starting at row `firstRow` of
 * (inputs, labels); the last batch may be shorter when the rows run out. Adds each batch's loss
 * and correct count, computed before its update as Keras reports them, to the running totals.
 */
export function trainBatches(
  plan: usize,
  inputs: usize,
  labels: usize,
  totalRows: i32,
  firstRow: i32,
  batches: i32,
  batchSize: i32,
  rate: f32,
): void {
  const count = layers(plan);
  const inStride = stride(plan, 0);
  const labelStride = stride(plan, count);
  let row = firstRow;
  for (let b = 0; b < batches && row < totalRows; b++) {
    const rows = min(batchSize, totalRows - row);
    step(plan, at(inputs, row, inStride, 0), at(labels, row, labelStride, 0), rows, rate);
    row += rows;
  }
}

/** Adds the loss and correct count of every row of (inputs, labels) to the running totals. */
export function evaluate(plan: usize, inputs: usize, labels: usize, totalRows: i32): void {
  const count = layers(plan);
  const chunk = word(plan, 1);
  for (let row = 0; row < totalRows; row += chunk) {
    const rows = min(chunk, totalRows - row);
    forward(plan, at(inputs, row, stride(plan, 0), 0), rows);
    tally(
      activationsOf(plan, count),
      at(labels, row, stride(plan, count), 0),
      rows,
      width(plan, count),
      stride(plan, count),
    );
  }
}

/** Writes the class probabilities of every row of `inputs` to `output` (padded rows). */
export function predict(plan: usize, inputs: usize, totalRows: i32, output: usize): void {
  const count = layers(plan);
  const chunk = word(plan, 1);
  const outStride = stride(plan, count);
  for (let row = 0; row < totalRows; row += chunk) {
    const rows = min(chunk, totalRows - row);
    forward(plan, at(inputs, row, stride(plan, 0), 0), rows);
    memory.copy(at(output, row, outStride, 0), activationsOf(plan, count), (<usize>(rows * outStride)) << 2);
  }
}
