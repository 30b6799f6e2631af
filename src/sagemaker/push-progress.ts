// `docker push` as a count of layers: each layer is announced (Preparing, Waiting, or "Layer
// already exists") and ends Pushed or already there; the progress is how many of them are done,
// with the rate and the time left. Its lines are passed on as they are.
import { ProgressMeter } from '../shared/progress-meter.js';

const LAYER_LINE =
  /^([0-9a-f]{12}): (Preparing|Waiting|Pushing|Pushed|Layer already exists|Mounted from \S+)/;
const DONE = new Set(['Pushed', 'Layer already exists']);

export function pushProgress(progress: (text: string) => void): (line: string) => void {
  const layers = new Map<string, boolean>();
  let meter: ProgressMeter | undefined;
  return (line) => {
    const match = LAYER_LINE.exec(line.trim());
    if (!match) return;
    const [, id = '', status = ''] = match;
    if (!layers.has(id)) layers.set(id, false);
    const finished = DONE.has(status) || status.startsWith('Mounted from');
    if (!finished || layers.get(id)) return;
    layers.set(id, true);
    // The total is known once every layer was announced: docker lists them all before pushing.
    meter ??= new ProgressMeter({ items: layers.size, unit: 'layers' });
    meter.add(0, 1);
    progress(meter.describe().replace(' layers', ' layers pushed'));
  };
}
