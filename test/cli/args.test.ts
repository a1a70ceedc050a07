import { describe, expect, it } from 'vitest';
import { backendOption } from '../../src/cli/args.js';

const collect = (...vs: string[]): Record<string, unknown> => vs.reduce<Record<string, unknown>>((acc, v) => backendOption(v, acc), {});

describe('-O key=value', () => {
  it('types JSON values and keeps bare strings', () => {
    expect(collect('reuseFactorPolicy=nearest', 'fifoDepth=64', 'x=true', 'calibration=data/x.json')).toEqual({ reuseFactorPolicy: 'nearest', fifoDepth: 64, x: true, calibration: 'data/x.json' });
  });

  it('nests dotted keys and merges repeated options', () => {
    expect(collect('aie.mode=bf16', 'aie.batch=4', 'aie.layers.fc1.casNum=2', 'aie.layers.fc1.microtile=[4,8,8]')).toEqual({
      aie: { mode: 'bf16', batch: 4, layers: { fc1: { casNum: 2, microtile: [4, 8, 8] } } },
    });
    expect(collect('Model.ReuseFactor=4', 'Model={"Strategy":"Resource"}')).toEqual({ Model: { ReuseFactor: 4, Strategy: 'Resource' } });
    // A JSON object value merges with dotted keys in either order; the later value wins on a shared key.
    expect(collect('aie={"mode":"int","layers":{"/layers.0/Gemm":{"casNum":2}}}', 'aie.mode=bf16')).toEqual({ aie: { mode: 'bf16', layers: { '/layers.0/Gemm': { casNum: 2 } } } });
  });

  it('refuses malformed options and a path through a value', () => {
    expect(() => collect('novalue')).toThrow(/expected key=value/);
    expect(() => collect('aie..mode=1')).toThrow(/expected key=value/);
    expect(() => collect('aie=3', 'aie.mode=bf16')).toThrow(/'aie.mode' sets a key inside 'aie', which an earlier -O set to 3/);
  });
});
