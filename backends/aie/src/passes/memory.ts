import type { Graph, GraphPass } from 'firmflow';
import type { AieGraphPerf } from '../lowered.js';
import { planMemory } from '../memory.js';
import { graphPerf } from '../perf.js';
import { stateOf, timed } from './state.js';

/** Memory-tile buffers with their DMA access patterns, and the PLIO ports. */
export const aieMemory: GraphPass = {
  name: 'aie-memory',
  match: 'graph',
  description: 'memory-tile shared buffers, DMA tiling parameters, PLIO ports (capacity and channel checks)',
  transform(g) {
    const { device, meta } = stateOf(g);
    const plan = timed(g, 'memory', () => planMemory(g, device));
    meta.sharedBuffers = plan.sharedBuffers;
    meta.plio = plan.plio;
    meta.gmio = plan.gmio;
    return plan.sharedBuffers.length;
  },
};

/** The analytic performance summary on graph.meta.aie.perf. */
export const aiePerf: GraphPass = {
  name: 'aie-perf',
  match: 'graph',
  description: 'analytic performance model: throughput, latency, tiles, memory',
  transform(g) {
    const { device, meta } = stateOf(g);
    meta.perf = graphPerf(g, device, meta);
    return 0;
  },
};

/** The performance summary of a planned graph (after flow aie:memory). */
export function performanceOf(g: Graph): AieGraphPerf {
  const { meta } = stateOf(g);
  if (!meta.perf) throw new Error('the AIE performance model runs in flow aie:memory; run it first');
  return meta.perf;
}
