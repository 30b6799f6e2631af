// The stages' own checks of the config (Stage.checkConfig: what their service would refuse),
// turned into diagnostics at file:line:col like every other config error, secrets hidden.
import type { Diagnostic } from '../config/diagnostic.js';
import { compareDiagnostics } from '../config/diagnostic.js';
import type { LoadedConfig } from '../config/load-config.js';
import { REDACTED } from '../config/secret-names.js';
import { type PositionMap, pointerOf } from '../config/yaml-source.js';
import type { Stage } from '../stage.js';

/** The position of a config path, or of the nearest enclosing value that has one. */
function locate(positions: PositionMap, path: readonly (string | number)[]) {
  let pointer = pointerOf(path);
  while (pointer !== '' && !positions.has(pointer)) pointer = pointer.slice(0, pointer.lastIndexOf('/'));
  return positions.get(pointer)?.value;
}

/** Every problem the stages find (only those named in `only`, when given), once each. */
export async function stageConfigDiagnostics(
  stages: readonly Stage[],
  loaded: LoadedConfig,
  only?: ReadonlySet<string>,
): Promise<Diagnostic[]> {
  const hide = (text: string): string =>
    loaded.secrets
      .filter((secret) => secret.length > 0)
      .reduce((out, secret) => out.replaceAll(secret, REDACTED), text);
  const seen = new Set<string>();
  const diagnostics: Diagnostic[] = [];
  for (const stage of stages) {
    if (!stage.checkConfig || (only && !only.has(stage.name))) continue;
    for (const problem of await stage.checkConfig(loaded.config)) {
      const key = `${pointerOf(problem.path)}\0${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const location = locate(loaded.positions, problem.path);
      diagnostics.push({ message: hide(problem.message), ...(location ? { location } : {}) });
    }
  }
  return diagnostics.sort(compareDiagnostics);
}
