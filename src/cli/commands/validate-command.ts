// `pipeline validate`: the config, and every environment in it, checked in one go.
import type { ConfigErrors } from '../../engine/config/load-config.js';
import { environmentNames } from '../../engine/config/overrides.js';
import type { Stage } from '../../engine/stage.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand, stageConfigErrors } from '../open-pipeline.js';

export async function validateCommand(
  options: CommonOptions,
  io: CliIo,
  stages: readonly Stage[],
): Promise<CliFailure | undefined> {
  const first = await loadForCommand(options, io, false, stages);
  if (!first.ok) return { reason: 'config', errors: first.error };
  // What the stages' services would refuse (SageMaker's limits), in the base config and each
  // environment, is a config error too: found here, not after the build and the upload.
  const refused = await stageConfigErrors(stages, first.value, io);
  if (refused) return { reason: 'config', errors: refused };
  // Without --env, each environment is checked as it would run, so that a broken `prod` is
  // found in the pull request, not on the day it is deployed.
  const others = options.env === undefined ? environmentNames(first.value.config) : [];
  const errors: ConfigErrors = { diagnostics: [], sources: new Map() };
  for (const name of others) {
    const loaded = await loadForCommand({ ...options, env: name }, io, false, stages);
    const found = loaded.ok ? await stageConfigErrors(stages, loaded.value, io) : loaded.error;
    if (!found) continue;
    for (const diagnostic of found.diagnostics) {
      errors.diagnostics.push({ ...diagnostic, message: `(env ${name}) ${diagnostic.message}` });
    }
    for (const [file, text] of found.sources) (errors.sources as Map<string, string>).set(file, text);
  }
  if (errors.diagnostics.length > 0) return { reason: 'config', errors };
  const checked =
    options.env === undefined ? ['base', ...others.map((n) => `env ${n}`)] : [`env ${options.env}`];
  if (options.json) writeJson(io.stdout, { valid: true, file: first.value.file, checked });
  else writeLine(io.stdout, `${first.value.file} is valid (${checked.join(', ')})`);
  return undefined;
}
