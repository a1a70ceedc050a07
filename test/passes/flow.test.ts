import { afterEach, describe, expect, it } from 'vitest';
import { Graph } from '../../src/ir/graph.js';
import { isFirmflowError } from '../../src/errors.js';
import { getFlow, passSource, registerFlow, registerPass, unregisterFlow, unregisterPass } from '../../src/pipeline/flows.js';
import { runFlows } from '../../src/pipeline/driver.js';
import { ensureSharedPasses, SHARED_PASSES } from '../../passes/index.js';
import { const64, input, ops, output, tensor } from './helpers.js';

function chain(n: number): Graph {
  const g = new Graph('chain');
  input(g, 'x', ['N', 2]);
  let prev = 'x';
  for (let i = 0; i < n; i++) {
    tensor(g, `t${i}`, ['N', 2]);
    g.addNode({ name: `id${i}`, op: 'Identity', inputs: [prev], outputs: [`t${i}`] });
    prev = `t${i}`;
  }
  output(g, prev);
  return g;
}

describe('optimize flow and the driver', () => {
  afterEach(() => {
    for (const p of ['test-one-per-round', 'test-forever']) unregisterPass(p);
    for (const f of ['test-converges', 'test-never']) unregisterFlow(f);
  });

  it('registers every shared pass once, in order, from firmflow', () => {
    ensureSharedPasses();
    ensureSharedPasses();
    expect(getFlow('optimize')!.passes).toEqual(SHARED_PASSES.map((p) => p.name));
    expect(passSource('gemm-to-dense')).toBe('firmflow');
  });

  it('repeats a flow until a round changes nothing', () => {
    // Removes one Identity per round (a graph pass), so it needs n rounds plus one quiet round.
    registerFlow({ name: 'test-converges', passes: [] });
    registerPass({
      name: 'test-one-per-round',
      match: 'graph',
      transform(g) {
        const n = [...g.nodes.values()].find((x) => x.op === 'Identity');
        if (!n) return false;
        g.bypassNode(n.name);
        return true;
      },
    }, { flow: 'test-converges' });
    const g = chain(4);
    const res = runFlows(g, ['test-converges']);
    expect(ops(g)).toEqual([]);
    expect(res.records).toEqual([expect.objectContaining({ pass: 'test-one-per-round', changes: 4, runs: 5 })]);
  });

  it('fails with a clear error when a flow never converges', () => {
    registerFlow({ name: 'test-never', passes: [], maxIterations: 7 });
    registerPass({ name: 'test-forever', match: 'graph', transform: () => true }, { flow: 'test-never' });
    let err: unknown;
    try {
      runFlows(chain(1), ['test-never']);
    } catch (e) {
      err = e;
    }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toBe("flow 'test-never' did not converge after 7 rounds; still changing the graph: test-forever");
  });

  it('optimize converges on a mixed graph and its second run changes nothing', () => {
    ensureSharedPasses();
    const g = new Graph('mix');
    input(g, 'x', ['N', 4]);
    tensor(g, 'a', ['N', 4]);
    g.addNode({ name: 'id', op: 'Identity', inputs: ['x'], outputs: ['a'] });
    tensor(g, 'h', ['N', 3]);
    g.addNode({ name: 'mm', op: 'MatMul', inputs: ['a', const64(g, 'W', [4, 3], 1)], outputs: ['h'] });
    tensor(g, 'y', ['N', 3]);
    g.addNode({ name: 'add', op: 'Add', inputs: ['h', const64(g, 'b', [3], 2)], outputs: ['y'] });
    output(g, 'y');
    runFlows(g, ['optimize']);
    expect(ops(g)).toEqual(['Dense']);
    const again = runFlows(g, ['optimize']);
    expect(again.records.every((r) => r.changes === 0 && r.runs === 1)).toBe(true);
  });
});
