// Reads a channel's CSV files (no header; features, then a one-hot label) into flat arrays.
// Every file under the channel folder is read, in name order, as SageMaker lays out an S3 prefix.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

export interface Dataset {
  rows: number;
  features: Float32Array;
  labels: Float32Array;
  inputDim: number;
  numClasses: number;
}

export class DataError extends Error {
  override name = 'DataError';
}

async function listCsvFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listCsvFiles(path)));
    else if (entry.name.endsWith('.csv')) files.push(path);
  }
  return files;
}

export async function readChannel(dir: string, inputDim: number, numClasses: number): Promise<Dataset> {
  let files: string[];
  try {
    files = await listCsvFiles(dir);
  } catch (error) {
    throw new DataError(`cannot read the channel folder ${dir}: ${(error as Error).message}`);
  }
  if (files.length === 0) throw new DataError(`no .csv files in ${dir}`);
  const width = inputDim + numClasses;
  const values: number[] = [];
  for (const file of files) {
    const name = relative(dir, file);
    const lines = (await readFile(file, 'utf8')).split(/\r?\n/);
    lines.forEach((line, index) => {
      if (line.trim() === '') return;
      const cells = line.split(',');
      if (cells.length !== width) {
        throw new DataError(
          `${name}:${index + 1}: expected ${width} columns (${inputDim} features, ${numClasses} one-hot label columns), found ${cells.length}`,
        );
      }
      cells.forEach((cell, column) => {
        const value = Number(cell);
        if (cell.trim() === '' || !Number.isFinite(value)) {
          throw new DataError(`${name}:${index + 1}: column ${column + 1} is not a number: "${cell}"`);
        }
        values.push(value);
      });
      // The label must be one class: a row of 0s with a single 1 (categorical cross-entropy on
      // anything else trains a model of nothing, silently).
      const label = values.slice(values.length - numClasses);
      const ones = label.filter((value) => value === 1).length;
      if (ones !== 1 || label.some((value) => value !== 0 && value !== 1)) {
        throw new DataError(
          `${name}:${index + 1}: the last ${numClasses} columns must be a one-hot label (one 1, the rest 0), found ${label.join(',')}`,
        );
      }
    });
  }
  const rows = values.length / width;
  if (rows === 0) throw new DataError(`the .csv files in ${dir} hold no rows`);
  const features = new Float32Array(rows * inputDim);
  const labels = new Float32Array(rows * numClasses);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < inputDim; c++) features[r * inputDim + c] = values[r * width + c] as number;
    for (let c = 0; c < numClasses; c++)
      labels[r * numClasses + c] = values[r * width + inputDim + c] as number;
  }
  return { rows, features, labels, inputDim, numClasses };
}
