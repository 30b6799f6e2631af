// The settings an experiment is made of, leaf by leaf: what `diff`, the report and the summary
// compare between runs.
import type { PipelineConfig } from '../engine/config/pipeline-config.js';
import { flatten } from './flatten.js';

export function experimentParams(config: PipelineConfig): Record<string, unknown> {
  const { environments: _environments, ...rest } = config;
  return flatten(rest);
}
