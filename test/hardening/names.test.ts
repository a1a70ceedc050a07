import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelBuilder } from 'firmflow';
import { buildProject, lower, useVitisFull } from '../vitis/helpers.js';
import { numbers } from '../vitis/models.js';
import { buildProjectModel } from '../../backends/vitis/writer/model.js';

/*
 * One naming authority for the generated C++ (issue 15, item 1): names of every kind share one pool, so model
 * names that spell another kind's generated name, or a name of the templates, cannot make two declarations one.
 */

/** x -> Gemm -> tensor `sm_exp_table` -> Softmax node `sm` (its exp table's type was `tp_sm_exp_table` too). */
function softmaxClash(): Uint8Array {
  const m = new ModelBuilder();
  m.input('x', 'float32', ['N', 8]);
  m.initializer('w', numbers(8 * 6, 5, 0.7), [8, 6]);
  m.initializer('b', numbers(6, 6, 0.2), [6]);
  m.node('Gemm', ['x', 'w', 'b'], ['sm_exp_table'], {}, { name: 'fc' });
  m.node('Softmax', ['sm_exp_table'], ['y'], { axis: -1 }, { name: 'sm' });
  m.output('y', 'float32', ['N', 6]);
  return m.toBytes();
}

const declared = (text: string): string[] => [...text.matchAll(/^(?:typedef .* (\w+);|struct (\w+) :|static const \w+ (\w+)\[)/gm)].map((m) => m[1] ?? m[2] ?? m[3]);

describe('generated C++ names', () => {
  beforeAll(useVitisFull);

  it('gives a tensor and a node role that spell the same name two names', async () => {
    const pm = buildProjectModel((await lower(softmaxClash())).graph, 'tb');
    const names = declared(pm.typedefs.join('\n'));
    expect(names).toContain('tp_sm_exp_table');
    expect(names).toContain('tp_sm_exp_table_2');
    expect(new Set(names.map((n) => n.toLowerCase())).size).toBe(names.length);
  });

  it('keeps the top function and its guard clear of the templates\' names and reserved prefixes', async () => {
    const g = (await lower(softmaxClash())).graph;
    expect(buildProjectModel(g, 'result_t').name).toBe('result_t_2');
    expect(buildProjectModel(g, 'NNET_PRAGMA').name).toBe('u_NNET_PRAGMA');
    expect(buildProjectModel(g, 'firmflow_predict').name).toBe('firmflow_predict_2');
    expect(buildProjectModel(g, 'exit').name).toBe('exit_2');
    const defines = buildProjectModel(g, 'FIRMFLOW_DEFINES');
    expect(defines.name).toBe('FIRMFLOW_DEFINES');
    expect(defines.names.guard).toBe('FIRMFLOW_DEFINES_H_2');
    expect(buildProjectModel(g, 'tb').name).toBe('tb');
  });

  it('computes the clashing model in C simulation like the emulator, bit for bit', async () => {
    const b = await buildProject(softmaxClash(), { projectName: 'result_t' });
    expect(b.build.diagnostics).toBe('');
    const defines = readFileSync(join(b.dir, 'firmware', 'defines.h'), 'utf8');
    expect(defines).toMatch(/typedef .* tp_sm_exp_table_2;/);
    const x = Float32Array.from(numbers(32 * 8, 11, 3));
    const out = await b.sim.predict({ x: { shape: [32, 8], data: x } });
    const emu = (b.project['emulate'] as (i: unknown) => Record<string, { data: Float64Array }>)({ x: { shape: [32, 8], data: x } });
    expect(out['y'].shape).toEqual([32, 6]);
    expect(Array.from(out['y'].data)).toEqual(Array.from(emu['y'].data));
    // Real softmax rows: each sums to about one.
    for (let s = 0; s < 32; s++) {
      let sum = 0;
      for (let k = 0; k < 6; k++) sum += out['y'].data[s * 6 + k];
      expect(Math.abs(sum - 1)).toBeLessThan(0.1);
    }
  }, 120_000);
});
