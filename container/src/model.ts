// The original example's network: `num_hidden_layers` dense sigmoid layers of `hidden_layers_dim`
// units and a softmax output. Kept as a tfjs-layers model so that it is initialised as Keras
// initialises it and saves and loads in the standard model.json + weights format; training.ts
// trains it, predictor.ts serves it.
import type * as Tfl from '@tensorflow/tfjs-layers';
import type { Hyperparameters, Initializer } from './hyperparameters.js';
import { tfl } from './tfjs.js';

function initializer(name: Initializer, seed: number): ReturnType<typeof tfl.initializers.zeros> {
  switch (name) {
    // Keras 1's "normal" and "uniform": small fixed-scale random weights.
    case 'normal':
      return tfl.initializers.randomNormal({ mean: 0, stddev: 0.05, seed });
    case 'uniform':
      return tfl.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed });
    case 'glorot_normal':
      return tfl.initializers.glorotNormal({ seed });
    case 'glorot_uniform':
      return tfl.initializers.glorotUniform({ seed });
    case 'he_normal':
      return tfl.initializers.heNormal({ seed });
    case 'he_uniform':
      return tfl.initializers.heUniform({ seed });
    case 'lecun_normal':
      return tfl.initializers.leCunNormal({ seed });
    case 'lecun_uniform':
      return tfl.initializers.leCunUniform({ seed });
  }
}

export function buildModel(hp: Hyperparameters): Tfl.Sequential {
  const model = tfl.sequential();
  for (let layer = 0; layer <= hp.numHiddenLayers; layer++) {
    const output = layer === hp.numHiddenLayers;
    model.add(
      tfl.layers.dense({
        ...(layer === 0 ? { inputShape: [hp.inputDim] } : {}),
        units: output ? hp.numClasses : hp.hiddenLayersDim,
        activation: output ? 'softmax' : 'sigmoid',
        kernelInitializer: initializer(hp.init, hp.seed + layer),
      }),
    );
  }
  return model;
}
