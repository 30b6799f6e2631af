// A ListObjectsV2 page (S3's ListBucketResult document) read for the three things a listing of
// the pipeline needs of each object: key, ETag and size, and where the next page starts.
//
// Owned rather than left to a general XML parser because a listing of 100,000 keys is 100 pages
// of 230 KB: the AWS SDK's parser took 1.4 s of an unchanged upload stage's 2.9 s (a CPU profile,
// BENCHMARKS.md "Scale"), fast-xml-parser 2.1 s, this scan 0.13 s. S3 escapes every key's text,
// so no element's tag can appear inside another's value: finding tags is enough.
import type { ListedPage, RemoteObject } from './listing-ranges.js';

const ENTITIES: Record<string, string> = { quot: '"', amp: '&', lt: '<', gt: '>', apos: "'" };

/** XML text with its entity and character references read. */
function unescapeXml(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (whole, name: string) => {
    if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
    if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
    return ENTITIES[name] ?? whole;
  });
}

/** The text of the first `<name>` element between `from` and `to`, or undefined. */
function elementText(xml: string, name: string, from = 0, to = xml.length): string | undefined {
  const open = `<${name}>`;
  const start = xml.indexOf(open, from);
  if (start < 0 || start >= to) return undefined;
  const end = xml.indexOf(`</${name}>`, start);
  if (end < 0 || end > to) throw new Error(`a ListBucketResult whose <${name}> has no end`);
  return unescapeXml(xml.slice(start + open.length, end));
}

/** Whether a document is a ListBucketResult (its root element, after any XML declaration). */
export const isListBucketResult = (xml: string): boolean =>
  /^\s*(<\?xml[^>]*\?>\s*)?<ListBucketResult[\s>]/.test(xml);

export function parseListBucketResult(xml: string): ListedPage {
  if (!isListBucketResult(xml)) throw new Error('the answer to a listing is not a ListBucketResult');
  const objects: RemoteObject[] = [];
  let at = 0;
  let lastEnd = 0;
  for (;;) {
    const start = xml.indexOf('<Contents>', at);
    if (start < 0) break;
    const end = xml.indexOf('</Contents>', start);
    if (end < 0) throw new Error('a ListBucketResult whose <Contents> has no end');
    const key = elementText(xml, 'Key', start, end);
    if (key === undefined) throw new Error('a ListBucketResult with an object without a <Key>');
    objects.push({
      key,
      etag: elementText(xml, 'ETag', start, end) ?? '',
      size: Number(elementText(xml, 'Size', start, end) ?? 0),
    });
    at = lastEnd = end + '</Contents>'.length;
  }
  // The page's own elements come before its objects or after them.
  const own = (name: string) =>
    elementText(xml, name, 0, xml.indexOf('<Contents>')) ?? elementText(xml, name, lastEnd);
  const truncated = own('IsTruncated') === 'true';
  return { objects, nextToken: truncated ? own('NextContinuationToken') : undefined };
}
