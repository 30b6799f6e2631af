// S3's XML: the documents it answers with and the few a client sends (a multipart completion, a
// batch delete, a bucket's location). fast-xml-parser does the escaping and the parsing.
import { XMLBuilder, XMLParser, XMLValidator } from 'fast-xml-parser';
import { malformedXml, type S3Error } from './s3-error.js';

export const S3_NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/';
export const PROLOG = '<?xml version="1.0" encoding="UTF-8"?>\n';

/** An element's content: text, nested elements, or a list of elements of the same name. */
export type XmlValue = string | number | boolean | undefined | XmlElement | XmlElement[] | XmlValue[];
export interface XmlElement {
  [name: string]: XmlValue;
}

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@' });

/** `<root xmlns="…">…</root>` with the XML declaration S3 sends; undefined members are left out. */
export function xmlDocument(root: string, content: XmlElement, namespace = true): string {
  const element = namespace ? { '@xmlns': S3_NAMESPACE, ...content } : content;
  return PROLOG + builder.build({ [root]: element });
}

/** An error as S3 writes it (without the declaration when it follows bytes already sent). */
export function errorDocument(error: S3Error, requestId: string, withProlog = true): string {
  const body = builder.build({
    Error: { Code: error.code, Message: error.message, ...error.detail, RequestId: requestId },
  });
  return withProlog ? PROLOG + body : body;
}

/** Element names that are lists in the documents clients send, even when one element is sent. */
const LISTS = new Set(['Part', 'Object']);
const parser = new XMLParser({
  isArray: (name) => LISTS.has(name),
  parseTagValue: false,
  ignoreAttributes: true,
  ignoreDeclaration: true,
});

/** A request's XML body as plain objects (text stays text); MalformedXML when it is not XML. */
export function parseXmlBody(text: string): Record<string, unknown> {
  if (text.trim() === '' || XMLValidator.validate(text) !== true) throw malformedXml();
  return parser.parse(text) as Record<string, unknown>;
}
