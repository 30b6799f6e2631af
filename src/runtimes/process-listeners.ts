// The TCP sockets a process group listens on beyond loopback, read from Linux's /proc: a model
// server run by the process runtime shares this machine's network, and one that binds 0.0.0.0
// (gunicorn `-b 0.0.0.0:8080`, nginx `listen 8080`) would serve every network the machine is on.
// The docker runtime needs no such check: its containers' ports are published on 127.0.0.1 only.
import { readdir, readFile, readlink } from 'node:fs/promises';

/** The pids whose process group is `group` (Linux: field 5 of /proc/PID/stat). */
async function membersOf(group: number): Promise<number[]> {
  const members: number[] = [];
  for (const name of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === group) members.push(Number(name));
  }
  return members;
}

async function socketInodes(pid: number): Promise<Set<string>> {
  const inodes = new Set<string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [] as string[])) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}

const LOOPBACK = new Set([
  '0100007F', // 127.0.0.1 (little-endian)
  '00000000000000000000000001000000', // ::1
  '0000000000000000FFFF00000100007F', // ::ffff:127.0.0.1
]);

/** An address of /proc/net/tcp{,6} as people write it: 0.0.0.0:8080, [::]:8080. */
function shown(hexAddress: string, hexPort: string): string {
  const port = Number.parseInt(hexPort, 16);
  if (hexAddress.length === 8) {
    const bytes = (hexAddress.match(/../g) ?? []).map((byte) => Number.parseInt(byte, 16)).reverse();
    return `${bytes.join('.')}:${port}`;
  }
  return hexAddress === '0'.repeat(32) ? `[::]:${port}` : `[${hexAddress}]:${port}`;
}

/**
 * Where the processes of group `group` listen on an address other than loopback (`0.0.0.0:8080`,
 * `[::]:8080`); empty when they listen on loopback only, or when /proc cannot tell (not Linux).
 */
export async function listenersBeyondLoopback(group: number): Promise<string[]> {
  const inodes = new Set<string>();
  for (const pid of await membersOf(group)) for (const inode of await socketInodes(pid)) inodes.add(inode);
  if (inodes.size === 0) return [];
  const found: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1);
    for (const line of lines) {
      const fields = line.trim().split(/\s+/);
      const [address = '', port = ''] = (fields[1] ?? '').split(':');
      // State 0A is LISTEN; field 9 is the socket's inode.
      if (fields[3] !== '0A' || !inodes.has(fields[9] ?? '') || LOOPBACK.has(address.toUpperCase())) continue;
      // 127.0.0.0/8 is loopback too.
      if (address.length === 8 && address.toUpperCase().endsWith('7F')) continue;
      found.push(shown(address.toUpperCase(), port));
    }
  }
  return found;
}
