// The stages one config runs, in the order they are planned and shown: the built-in stages with
// the user's own (pipeline.yaml's `stages:`), each built-in given the user stages it reads through
// a data channel, in one order that respects every need. A user stage comes as early as its needs
// allow; the built-in stages keep their order and run one after another.
import type { PipelineConfig } from '../config/pipeline-config.js';
import type { Stage } from '../stage.js';
import { channelNeeds, type UserStageSettings, userStagesOf } from './stage-graph.js';

/** Makes the Stage of one user stage (stages/user-stage.ts). */
export type UserStageFactory = (name: string, settings: UserStageSettings, config: PipelineConfig) => Stage;

export function composeStages(
  builtIns: readonly Stage[],
  config: PipelineConfig,
  makeUserStage: UserStageFactory,
): Stage[] {
  const users = userStagesOf(config).map(([name, settings]) => makeUserStage(name, settings, config));
  const extraNeeds: Record<string, Set<string>> = channelNeeds(config);
  const wrapped = builtIns.map((stage, index): Stage => {
    const extra = [...(extraNeeds[stage.name] ?? [])].filter((need) => !stage.needs.includes(need));
    const previous = builtIns[index - 1]?.name;
    return {
      ...stage,
      needs: [...stage.needs, ...extra],
      ...(previous !== undefined ? { after: [...(stage.after ?? []), previous] } : {}),
    };
  });
  return orderStages([...users, ...wrapped], builtIns.length);
}

/**
 * A topological order (config-checked: no cycle): among the stages whose needs are placed, the
 * user stages first in the order written, then the next built-in stage.
 */
function orderStages(stages: Stage[], builtInCount: number): Stage[] {
  const rank = new Map(stages.map((stage, index) => [stage.name, index]));
  const placed = new Set<string>();
  const ordered: Stage[] = [];
  const waitsFor = (stage: Stage) => [...stage.needs, ...(stage.after ?? [])];
  while (ordered.length < stages.length) {
    const ready = stages
      .filter(
        (stage) =>
          !placed.has(stage.name) && waitsFor(stage).every((need) => placed.has(need) || !rank.has(need)),
      )
      .sort((a, b) => (rank.get(a.name) ?? 0) - (rank.get(b.name) ?? 0));
    const next = ready[0];
    if (!next)
      throw new Error(
        `the stages cannot be ordered (${builtInCount} built-in): a cycle the config check missed`,
      );
    placed.add(next.name);
    ordered.push(next);
  }
  return ordered;
}
