// What makes "accepted and ignored" impossible: each operation names the members of its input it
// honours, and a request holding any other member is refused before its handler runs, naming the
// member. A path names a member and everything under it (`Tags`, `Environment`); a path that only
// leads to honoured members (`ResourceConfig` when `ResourceConfig.InstanceType` is honoured) is
// walked into, its other members refused. List elements are `[]` in a path
// (`InputDataConfig[].ChannelName`), and the refusal names the element's index. A member honoured
// for some values only is written with them: `ResourceConfig.InstanceCount=1`,
// `AlgorithmSpecification.TrainingInputMode=File`, several as `A|B`.

/** The members an operation honours, by operation name. */
export type HonouredMembers<Ops> = { [Name in keyof Ops]?: readonly string[] };

/** A member of a request the operation does not run: absent from its list, or with another value. */
export interface Unhonoured {
  /** With the indexes of list elements: `InputDataConfig[0].InputMode`. */
  member: string;
  /** For a member honoured for some values only: the value sent, and the values honoured. */
  value?: string;
  honouredValues?: readonly string[];
}

export interface HonouredPaths {
  /** Path → the values honoured, or undefined for any value. */
  members: ReadonlyMap<string, readonly string[] | undefined>;
  /** Whether a path is not honoured itself but leads to members that are (walked into). */
  leadsTo(path: string): boolean;
}

function parse(honoured: readonly string[]): HonouredPaths {
  const members = new Map<string, readonly string[] | undefined>();
  for (const entry of honoured) {
    const at = entry.indexOf('=');
    if (at === -1) members.set(entry, undefined);
    else members.set(entry.slice(0, at), entry.slice(at + 1).split('|'));
  }
  const all = [...members.keys()];
  return {
    members,
    leadsTo: (path) => all.some((member) => member.startsWith(`${path}.`) || member.startsWith(`${path}[]`)),
  };
}

const parsed = new WeakMap<readonly string[], HonouredPaths>();

/** An operation's list read once: its paths, the values of each, and what leads to them. */
export function honouredPaths(honoured: readonly string[]): HonouredPaths {
  let paths = parsed.get(honoured);
  if (!paths) {
    paths = parse(honoured);
    parsed.set(honoured, paths);
  }
  return paths;
}

/** A request's members that its operation does not honour. */
export function unhonouredMembers(input: unknown, honoured: readonly string[]): Unhonoured[] {
  const { members, leadsTo } = honouredPaths(honoured);
  const found: Unhonoured[] = [];
  const walk = (value: unknown, path: string, shown: string): void => {
    if (Array.isArray(value)) {
      value.forEach((element, index) => {
        walk(element, `${path}[]`, `${shown}[${index}]`);
      });
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [name, member] of Object.entries(value)) {
      if (member === undefined || member === null) continue;
      const memberPath = path === '' ? name : `${path}.${name}`;
      const memberShown = shown === '' ? name : `${shown}.${name}`;
      if (members.has(memberPath)) {
        const values = members.get(memberPath);
        if (values && !values.includes(String(member)))
          found.push({ member: memberShown, value: String(member), honouredValues: values });
      } else if (leadsTo(memberPath)) walk(member, memberPath, memberShown);
      else found.push({ member: memberShown });
    }
  };
  walk(input, '', '');
  return found;
}

/** SageMaker's words for what the local one does not run. */
export function unhonouredMessage(unhonoured: readonly Unhonoured[], title: string): string {
  const parts = unhonoured.map(({ member, value, honouredValues }) =>
    value === undefined ? member : `${member} ${value} (it runs ${honouredValues?.join(' or ')})`,
  );
  const named = parts.length === 1 ? parts[0] : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
  return `${named} ${parts.length === 1 ? 'is' : 'are'} not supported by ${title}; remove ${parts.length === 1 ? 'it' : 'them'}, or use target aws`;
}
