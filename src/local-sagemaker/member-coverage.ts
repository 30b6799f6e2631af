// Which members of each implemented operation's input the local services honour and which they
// refuse, from the operations' lists (protocol/honoured-members.ts) and AWS's models: the table
// of src/local-sagemaker/README.md, and the members a test proves refused.
import type { ServiceModel } from '../shared/service-model.js';
import { honouredPaths } from './protocol/honoured-members.js';
import type { JsonService } from './protocol/json-service.js';

export interface MemberCoverage {
  /** As the operation lists them, values included (`ResourceConfig.InstanceCount=1`). */
  honoured: readonly string[];
  /** The model's members the walk stops at: not honoured, and leading to none that is. */
  refused: string[];
}

/** The refused members of an operation: its input shape walked down to what is not honoured. */
export function memberCoverage(
  model: ServiceModel,
  operation: string,
  honoured: readonly string[],
): MemberCoverage {
  const { members, leadsTo } = honouredPaths(honoured);
  const refused: string[] = [];
  const walk = (shapeName: string, path: string, seen: ReadonlySet<string>): void => {
    const shape = model.shapes[shapeName];
    if (!shape || seen.has(shapeName)) return;
    const inside = new Set(seen).add(shapeName);
    if (shape.type === 'list' && shape.member) {
      walk(shape.member.shape, `${path}[]`, inside);
      return;
    }
    if (shape.type !== 'structure') return;
    for (const [name, ref] of Object.entries(shape.members ?? {})) {
      const member = path === '' ? name : `${path}.${name}`;
      if (members.has(member)) continue;
      if (leadsTo(member)) walk(ref.shape, member, inside);
      else refused.push(member);
    }
  };
  const input = model.operations[operation]?.input?.shape;
  if (input) walk(input, '', new Set());
  return { honoured, refused };
}

/** The members table: per operation, what is honoured and what is refused. */
export function membersTable(services: readonly JsonService[]): string {
  const lines = ['| service | operation | honoured | refused |', '|---|---|---|---|'];
  for (const service of services) {
    for (const [name, operation] of Object.entries(service.operations).sort(([a], [b]) =>
      a.localeCompare(b),
    )) {
      const { honoured, refused } = memberCoverage(service.model, name, operation.honoured ?? []);
      const cell = (members: readonly string[]) =>
        members.length === 0 ? '—' : members.map((m) => `\`${m}\``).join(', ');
      lines.push(`| ${service.model.metadata.serviceId} | ${name} | ${cell(honoured)} | ${cell(refused)} |`);
    }
  }
  return lines.join('\n');
}
