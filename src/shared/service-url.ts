// The URL a server listening on `host` is reached at from this machine: an unspecified address
// (all interfaces) is reached on loopback; an IPv6 address goes in brackets.
import { isIPv6 } from 'node:net';

export function serviceUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}`;
  return `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Whether a listening address is this machine's loopback only. */
export const isLoopback = (host: string): boolean =>
  host === 'localhost' || host === '::1' || /^127\./.test(host);
