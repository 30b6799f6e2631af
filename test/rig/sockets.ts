// Listening TCP sockets on this machine, read with `ss -ltn` (nothing is sent anywhere): a test
// takes them before and after the pipeline starts its servers, and checks what was added.
import { execa } from 'execa';

/** "ADDRESS:PORT" of every listening TCP socket, IPv4 and IPv6. */
export async function listeningSockets(): Promise<Set<string>> {
  const { stdout } = await execa('ss', ['-ltnH']);
  const sockets = String(stdout)
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[3])
    .filter((local): local is string => Boolean(local));
  return new Set(sockets);
}

/** Sockets listening now that were not before, and those of them not on 127.0.0.1. */
export async function newListeners(
  before: ReadonlySet<string>,
): Promise<{ added: string[]; exposed: string[] }> {
  const added = [...(await listeningSockets())].filter((socket) => !before.has(socket));
  return { added, exposed: added.filter((socket) => !socket.startsWith('127.0.0.1:')) };
}
