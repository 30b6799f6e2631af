// `pipeline graph`: the stages and what each needs, with what a run would do as the state says
// (`pipeline plan` also checks the remote side), as text or as a Mermaid flowchart to paste into a
// README or a pull request.

import { summarizeReasons } from '../../engine/plan/stale-reason.js';
import { planRun } from '../../engine/run/plan-run.js';
import type { Stage } from '../../engine/stage.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { openPipeline } from '../open-pipeline.js';
import { painter } from '../paint.js';

export interface GraphOptions extends CommonOptions {
  mermaid: boolean;
}

export async function graphCommand(
  options: GraphOptions,
  io: CliIo,
  builtIns: readonly Stage[],
): Promise<CliFailure | undefined> {
  const opened = await openPipeline(options, io, builtIns);
  if (!opened.ok) return opened.error;
  const { loaded, stages, state, hasher, secrets, stateDir } = opened.value;
  const plan = await planRun(
    stages,
    state,
    loaded,
    {},
    { hasher, secrets, stateDir, mayStart: false, refresh: false },
  );
  await hasher.save();
  if (!plan.ok) return { reason: 'plan', failure: plan.error };
  const nodes = stages.map((stage) => {
    const planned = plan.value.find((entry) => entry.name === stage.name);
    const settings = loaded.config.stages?.[stage.name];
    return {
      name: stage.name,
      ...(stage.userDefined
        ? { kind: settings?.processing ? ('processing' as const) : ('command' as const) }
        : {}),
      needs: [...stage.needs],
      action: planned?.action ?? 'skip',
      why: planned && planned.action === 'run' ? summarizeReasons(planned.reasons, 1) : 'up to date',
    };
  });
  if (options.json) writeJson(io.stdout, { pipeline: loaded.config.name, stages: nodes });
  else if (options.mermaid) writeLine(io.stdout, mermaidOf(nodes));
  else {
    const paint = painter(Boolean(io.stdout.isTTY), io.env);
    const shown = (node: GraphNode) => (node.kind ? `${node.name} (${node.kind})` : node.name);
    const width = Math.max(...nodes.map((node) => shown(node).length));
    const needsWidth = Math.max(...nodes.map((node) => needsText(node.needs).length));
    writeLine(
      io.stdout,
      `Stages of ${paint('bold', loaded.config.name)}, as the state says (\`pipeline plan\` also checks what is remote):`,
    );
    for (const node of nodes)
      writeLine(
        io.stdout,
        `  ${node.action === 'run' ? paint('yellow', '●') : paint('green', '○')} ${shown(node).padEnd(width)}  ${paint('dim', needsText(node.needs).padEnd(needsWidth))}  ${node.action === 'run' ? node.why : paint('dim', node.why)}`,
      );
  }
  return undefined;
}

const needsText = (needs: readonly string[]): string =>
  needs.length > 0 ? `needs ${needs.join(', ')}` : 'needs nothing';

interface GraphNode {
  name: string;
  /** A user stage's kind; none for a built-in stage. */
  kind?: 'command' | 'processing';
  needs: string[];
  action: 'run' | 'skip';
  why: string;
}

/** A Mermaid flowchart: an edge from each need, stages that would run in amber, the others green. */
function mermaidOf(nodes: readonly GraphNode[]): string {
  // Mermaid's ids are words: a stage's id is its place, its label its name.
  const id = (name: string) => `s${nodes.findIndex((node) => node.name === name)}`;
  const label = (text: string) => text.replaceAll('"', '#quot;');
  const lines = ['flowchart LR'];
  // A command is drawn as a stadium, a processing job as a subroutine, a built-in stage as a box.
  const shape = (node: GraphNode) =>
    node.kind === 'command'
      ? `(["${label(node.name)}"])`
      : node.kind === 'processing'
        ? `[["${label(node.name)}"]]`
        : `["${label(node.name)}"]`;
  for (const node of nodes) lines.push(`  ${id(node.name)}${shape(node)}`);
  for (const node of nodes) for (const need of node.needs) lines.push(`  ${id(need)} --> ${id(node.name)}`);
  lines.push('  classDef run fill:#fef3c7,stroke:#d97706', '  classDef skip fill:#ecfdf5,stroke:#059669');
  for (const action of ['run', 'skip'] as const) {
    const members = nodes.filter((node) => node.action === action).map((node) => id(node.name));
    if (members.length > 0) lines.push(`  class ${members.join(',')} ${action}`);
  }
  return lines.join('\n');
}
