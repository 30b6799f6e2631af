// `pipeline validate`: the config, and every environment in it, checked in one go.

import type { ConfigErrors } from '../../config/load-config.js';
import { environmentNames } from '../../config/overrides.js';
import type { CliFailure } from '../cli-failure.js';
import { type CliIo, type CommonOptions, writeJson, writeLine } from '../cli-io.js';
import { loadForCommand } from '../open-pipeline.js';

export async function validateCommand(options: CommonOptions, io: CliIo): Promise<CliFailure | undefined> {
  const base = loadForCommand(options, io);
  if (!base.ok) return { reason: 'config', errors: base.error };
  // Without --env, each environment is checked as it would run, so a broken `prod` is found
  // in the pull request, not on the day it is deployed.
  const names = options.env !== undefined ? [options.env] : environmentNames(base.value.config);
  const errors: ConfigErrors = { diagnostics: [], sources: new Map() };
  for (const name of options.env !== undefined ? [] : names) {
    const loaded = loadForCommand({ ...options, env: name }, io);
    if (loaded.ok) continue;
    for (const diagnostic of loaded.error.diagnostics) {
      errors.diagnostics.push({ ...diagnostic, message: `[env ${name}] ${diagnostic.message}` });
    }
    for (const [file, text] of loaded.error.sources) (errors.sources as Map<string, string>).set(file, text);
  }
  if (errors.diagnostics.length > 0) return { reason: 'config', errors };
  const checked = ['base', ...names.filter((n) => n !== options.env)];
  if (options.json) writeJson(io.stdout, { valid: true, file: base.value.file, environments: checked });
  else writeLine(io.stdout, `${base.value.file} is valid (checked: ${checked.join(', ')})`);
  return undefined;
}
