import type { IncomingHttpHeaders } from 'node:http';

/** A request header's value (several sent under one name are joined, as HTTP joins them). */
export function headerOf(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
