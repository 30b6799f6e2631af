// Turns an /invocations request body into rows of features, naming the row and column of any
// bad value, and predictions back into the format the caller asked for.

export const MAX_BODY_BYTES = 6 * 1024 * 1024;

export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The media type alone: "text/csv; charset=utf-8" → "text/csv". */
export const mediaType = (header: string | undefined): string =>
  (header ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

export function parseRows(body: string, contentType: string | undefined, inputDim: number): Float32Array[] {
  const type = mediaType(contentType) || 'text/csv';
  let rows: unknown[][];
  if (type === 'text/csv') {
    rows = body
      .split(/\r?\n/)
      .filter((line) => line.trim() !== '')
      .map((line) => line.split(','));
  } else if (type === 'application/json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(body);
    } catch (error) {
      throw new RequestError(400, `the body is not valid JSON: ${(error as Error).message}`);
    }
    const instances = Array.isArray(parsed) ? parsed : (parsed as { instances?: unknown })?.instances;
    if (!Array.isArray(instances) || !instances.every(Array.isArray)) {
      throw new RequestError(400, 'expected a JSON array of rows, or {"instances": [[...], ...]}');
    }
    rows = instances as unknown[][];
  } else {
    throw new RequestError(
      415,
      `unsupported Content-Type "${contentType}": send text/csv or application/json`,
    );
  }
  if (rows.length === 0) throw new RequestError(400, 'the request holds no rows');
  return rows.map((row, r) => {
    if (row.length !== inputDim) {
      throw new RequestError(400, `row ${r + 1}: expected ${inputDim} values, found ${row.length}`);
    }
    return Float32Array.from(row, (cell, c) => {
      const value =
        typeof cell === 'number' ? cell : typeof cell === 'string' && cell.trim() !== '' ? Number(cell) : NaN;
      if (!Number.isFinite(value))
        throw new RequestError(400, `row ${r + 1}, column ${c + 1}: "${String(cell)}" is not a number`);
      return value;
    });
  });
}

export interface FormattedResponse {
  contentType: string;
  body: string;
}

/** CSV (one row of class probabilities per input row) unless the caller accepts only JSON. */
export function formatPredictions(predictions: number[][], accept: string | undefined): FormattedResponse {
  const wanted = (accept ?? '*/*').split(',').map(mediaType);
  const csv = wanted.some(
    (type) => type === 'text/csv' || type === '*/*' || type === 'text/*' || type === '',
  );
  if (csv) {
    return { contentType: 'text/csv', body: `${predictions.map((row) => row.join(',')).join('\n')}\n` };
  }
  if (wanted.includes('application/json') || wanted.includes('application/*')) {
    return { contentType: 'application/json', body: JSON.stringify({ predictions }) };
  }
  throw new RequestError(406, `cannot answer in "${accept}": accept text/csv or application/json`);
}
