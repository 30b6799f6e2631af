// How rows travel in one request body, by content type: CSV and JSON lines one row per line; a
// JSON content type (application/json) as one JSON array whose elements are the rows, as JSON
// model servers read a batch. invoke and local-test build their requests here.

/** A JSON document type (not JSON lines): rows go as the elements of one array. */
export const isJsonDocument = (contentType: string): boolean =>
  /json/i.test(contentType) && !/jsonl|json-?lines|ndjson|json-seq/i.test(contentType);

/** One request body holding `rows` (each a CSV line, a JSON line, or one JSON value). */
export const recordsBody = (rows: readonly string[], contentType: string): string =>
  isJsonDocument(contentType) ? `[${rows.join(',')}]` : `${rows.join('\n')}\n`;
