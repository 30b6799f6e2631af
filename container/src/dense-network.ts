// The host side of the WebAssembly kernel in assembly/dense-network.ts: lays out a dense network
// (weights, activations, gradients) and data sets in the module's memory and calls its loops.
// Weights come and go in TensorFlow.js's layout ([inputs × units] kernels, [units] biases), so a
// tfjs-layers model can be trained here and saved in the standard format, or loaded and served.
import { readFile } from 'node:fs/promises';
import { SettingError } from './engine-choice.js';

interface KernelExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  resetTotals(): void;
  totalLoss(): number;
  totalCorrect(): number;
  trainBatches(
    plan: number,
    inputs: number,
    labels: number,
    totalRows: number,
    firstRow: number,
    batches: number,
    batchSize: number,
    rate: number,
  ): void;
  evaluate(plan: number, inputs: number, labels: number, totalRows: number): void;
  predict(plan: number, inputs: number, totalRows: number, output: number): void;
}

const FLOAT = 4;
const PAGE = 65536;
const padded = (width: number): number => Math.ceil(width / 4) * 4;

let compiled: Promise<WebAssembly.Module> | undefined;
function kernelModule(): Promise<WebAssembly.Module> {
  compiled ??= readFile(new URL('./dense-network.wasm', import.meta.url)).then((bytes) =>
    WebAssembly.compile(bytes),
  );
  return compiled;
}

/** Rows of `width` floats copied into rows of `stride` floats (the padding left as it was: 0). */
function copyPadded(
  target: Float32Array,
  source: Float32Array,
  rows: number,
  width: number,
  stride: number,
): void {
  if (width === stride) {
    target.set(source.subarray(0, rows * width));
    return;
  }
  for (let r = 0; r < rows; r++) target.set(source.subarray(r * width, (r + 1) * width), r * stride);
}

/** A data set in the kernel's memory: features and one-hot labels in padded rows. */
export interface KernelDataset {
  readonly rows: number;
  /** Replaces the rows (same count), e.g. with the next epoch's shuffle. */
  write(features: Float32Array, labels: Float32Array): void;
}

interface StoredDataset extends KernelDataset {
  readonly inputs: number;
  readonly labels: number;
}

export interface LossAndAccuracy {
  loss: number;
  accuracy: number;
}

/** A weight layer: `inputs` × `units` kernel rows of `stride` floats, then a bias of `stride`. */
interface WeightLayer {
  readonly inputs: number;
  readonly units: number;
  readonly stride: number;
  readonly kernel: number;
  readonly bias: number;
}

/** Where rows of `width` floats live in the kernel's memory: `stride` floats apart. */
interface RowShape {
  readonly width: number;
  readonly stride: number;
}

const rowShape = (width: number): RowShape => ({ width, stride: padded(width) });

export class DenseNetwork {
  private readonly kernel: KernelExports;
  private readonly plan: number;
  private readonly layers: readonly WeightLayer[];
  private readonly input: RowShape;
  private readonly output: RowShape;
  /** The first byte not yet given to a network buffer or a data set; scratch space starts here. */
  private top: number;

  /**
   * @param widths the layer widths, input first: [inputDim, hidden..., classes]
   * @param maxRows the most rows one forward pass handles: the batch size when training
   */
  static async create(widths: readonly number[], maxRows: number): Promise<DenseNetwork> {
    const instance = await WebAssembly.instantiate(await kernelModule(), {
      env: {
        abort: () => {
          throw new Error('the dense-network kernel aborted');
        },
      },
    });
    return new DenseNetwork(instance.exports as unknown as KernelExports, widths, maxRows);
  }

  private constructor(kernel: KernelExports, widths: readonly number[], maxRows: number) {
    const [inputWidth, ...unitsPerLayer] = widths;
    const classes = unitsPerLayer.at(-1);
    if (inputWidth === undefined || classes === undefined)
      throw new Error('a dense network needs an input and an output width');
    this.kernel = kernel;
    this.input = rowShape(inputWidth);
    this.output = rowShape(classes);
    this.top = Math.ceil(kernel.heapBase() / 16) * 16;
    const planWords = 2 + 2 * widths.length + 3 * unitsPerLayer.length + 2;
    this.plan = this.allocate(planWords * 4);
    let inputs = inputWidth;
    this.layers = unitsPerLayer.map((units) => {
      const stride = padded(units);
      const layer = {
        inputs,
        units,
        stride,
        kernel: this.allocate(inputs * stride * FLOAT),
        bias: this.allocate(stride * FLOAT),
      };
      inputs = units;
      return layer;
    });
    const widest = Math.max(...widths.map(padded));
    const words = [
      this.layers.length,
      maxRows,
      ...widths.flatMap((width) => [width, padded(width)]),
      ...this.layers.flatMap((layer) => [layer.kernel, layer.bias]),
      ...this.layers.map((layer) => this.allocate(maxRows * layer.stride * FLOAT)),
      this.allocate(maxRows * widest * FLOAT),
      this.allocate(maxRows * widest * FLOAT),
    ];
    new Int32Array(this.kernel.memory.buffer, this.plan, planWords).set(words);
  }

  private allocate(bytes: number): number {
    const address = this.top;
    this.top += Math.ceil(bytes / 16) * 16;
    this.ensureMemory(this.top);
    return address;
  }

  private ensureMemory(end: number): void {
    const memory = this.kernel.memory;
    if (end <= memory.buffer.byteLength) return;
    try {
      memory.grow(Math.ceil((end - memory.buffer.byteLength) / PAGE));
    } catch {
      // WebAssembly's memory ends at 4 GiB (and may end sooner where the host is short of it).
      throw new SettingError(
        `the network, its batch and the data set need ${Math.ceil(end / 2 ** 20)} MiB, more than the kernel's WebAssembly memory can hold: use a smaller minibatch_size or fewer rows, or TRAINING_ENGINE=tfjs`,
      );
    }
  }

  private floats(address: number, count: number): Float32Array {
    return new Float32Array(this.kernel.memory.buffer, address, count);
  }

  /** Copies rows into the kernel's memory at `address`, padded to the shape's stride. */
  private writeRows(address: number, shape: RowShape, values: Float32Array, rows: number): void {
    copyPadded(this.floats(address, rows * shape.stride), values, rows, shape.width, shape.stride);
  }

  /** Copies rows out of the kernel's memory at `address`, without their padding. */
  private readRows(address: number, shape: RowShape, rows: number): Float32Array {
    const source = this.floats(address, rows * shape.stride);
    const out = new Float32Array(rows * shape.width);
    for (let r = 0; r < rows; r++) {
      out.set(source.subarray(r * shape.stride, r * shape.stride + shape.width), r * shape.width);
    }
    return out;
  }

  /** Sets the weights from TensorFlow.js's layout: [kernel0, bias0, kernel1, bias1, ...]. */
  setWeights(weights: readonly Float32Array[]): void {
    if (weights.length !== 2 * this.layers.length)
      throw new Error(`expected ${2 * this.layers.length} weight arrays, got ${weights.length}`);
    this.layers.forEach((layer, l) => {
      const shape = rowShape(layer.units);
      this.floats(layer.kernel, layer.inputs * layer.stride).fill(0);
      this.floats(layer.bias, layer.stride).fill(0);
      this.writeRows(layer.kernel, shape, weights[2 * l] as Float32Array, layer.inputs);
      this.writeRows(layer.bias, shape, weights[2 * l + 1] as Float32Array, 1);
    });
  }

  /** The weights in TensorFlow.js's layout, copied out. */
  getWeights(): Float32Array[] {
    return this.layers.flatMap((layer) => {
      const shape = rowShape(layer.units);
      return [this.readRows(layer.kernel, shape, layer.inputs), this.readRows(layer.bias, shape, 1)];
    });
  }

  /** Copies a data set into the kernel's memory for training or evaluation. */
  dataset(features: Float32Array, labels: Float32Array, rows: number): KernelDataset {
    const inputs = this.allocate(rows * this.input.stride * FLOAT);
    const labelAddress = this.allocate(rows * this.output.stride * FLOAT);
    const stored: StoredDataset = {
      rows,
      inputs,
      labels: labelAddress,
      write: (nextFeatures, nextLabels) => {
        this.writeRows(inputs, this.input, nextFeatures, rows);
        this.writeRows(labelAddress, this.output, nextLabels, rows);
      },
    };
    stored.write(features, labels);
    return stored;
  }

  /** Starts the running loss and accuracy totals of trainBatches over. */
  resetTotals(): void {
    this.kernel.resetTotals();
  }

  /** The mean loss and accuracy over the `rows` rows trained or evaluated since resetTotals. */
  totals(rows: number): LossAndAccuracy {
    return { loss: this.kernel.totalLoss() / rows, accuracy: this.kernel.totalCorrect() / rows };
  }

  /** SGD on `batches` mini-batches of `batchSize` rows from row `firstRow`; returns the next row. */
  trainBatches(
    data: KernelDataset,
    firstRow: number,
    batches: number,
    batchSize: number,
    rate: number,
  ): number {
    const { inputs, labels, rows } = data as StoredDataset;
    this.kernel.trainBatches(this.plan, inputs, labels, rows, firstRow, batches, batchSize, rate);
    return Math.min(rows, firstRow + batches * batchSize);
  }

  /** Mean cross-entropy and accuracy of the current weights on a data set. */
  evaluate(data: KernelDataset): LossAndAccuracy {
    const { inputs, labels, rows } = data as StoredDataset;
    this.kernel.resetTotals();
    this.kernel.evaluate(this.plan, inputs, labels, rows);
    return this.totals(rows);
  }

  /** Class probabilities for `rows` rows of features: rows × classes floats. */
  predict(features: Float32Array, rows: number): Float32Array {
    // Scratch space above every allocation: reused by each call, never kept.
    const inputs = this.top;
    const output = inputs + Math.ceil((rows * this.input.stride * FLOAT) / 16) * 16;
    this.ensureMemory(output + rows * this.output.stride * FLOAT);
    this.writeRows(inputs, this.input, features, rows);
    this.kernel.predict(this.plan, inputs, rows, output);
    return this.readRows(output, this.output, rows);
  }
}
