import type { GraphPass } from 'firmflow';
import type { HlsPortLayout } from '../lowered.js';

const TO_LAST: Record<number, number[]> = { 3: [0, 2, 1], 4: [0, 2, 3, 1] };
const TO_FIRST: Record<number, number[]> = { 3: [0, 2, 1], 4: [0, 3, 1, 2] };
const same = (a: unknown, b: number[]): boolean => Array.isArray(a) && a.length === b.length && a.every((v, i) => v === b[i]);

/** Port layouts recorded so far (graph.meta.hlsPortLayouts, moved into graph.meta.hls by vitis-configure). */
export const PORT_LAYOUTS_KEY = 'hlsPortLayouts';

/**
 * The channels-last conversion of a channels-first model leaves a Transpose NCHW -> NHWC right after a graph
 * input (and NHWC -> NCHW before a spatial graph output). The firmware takes and gives NHWC instead: the
 * Transpose is removed, the port reads its output, and the permutation is recorded so predict() transposes on
 * the host side (graph.meta.hls.inputLayouts / outputLayouts).
 */
export const portLayout: GraphPass = {
  name: 'vitis-port-layout',
  match: 'graph',
  description: 'take channels-first model inputs as NHWC in the firmware (host-side transpose)',
  transform(graph) {
    const rec = (graph.meta[PORT_LAYOUTS_KEY] ??= { inputs: [], outputs: [] }) as { inputs: HlsPortLayout[]; outputs: HlsPortLayout[] };
    let changes = 0;
    for (let i = 0; i < graph.inputs.length; i++) {
      const port = graph.inputs[i];
      const x = graph.tensor(port.tensor);
      const users = graph.consumers(x.name);
      const perm = TO_LAST[x.shape.length];
      if (!perm || users.length !== 1 || graph.isGraphOutput(x.name)) continue;
      const t = users[0];
      if (t.op !== 'Transpose' || !same(t.attrs['perm'], perm) || t.inputs[0] !== x.name) continue;
      const y = t.outputs[0];
      if (graph.isGraphInput(y)) continue;
      graph.removeNode(t.name, false);
      graph.inputs[i] = { name: port.name, tensor: y };
      graph.removeTensor(x.name);
      rec.inputs.push({ name: port.name, layout: x.shape.length === 4 ? 'NHWC' : 'NWC', modelLayout: x.shape.length === 4 ? 'NCHW' : 'NCW', perm, modelShape: [...x.shape] });
      changes++;
    }
    for (let i = 0; i < graph.outputs.length; i++) {
      const port = graph.outputs[i];
      const y = graph.tensor(port.tensor);
      const t = graph.producer(y.name);
      const perm = TO_FIRST[y.shape.length];
      if (!t || !perm || t.op !== 'Transpose' || !same(t.attrs['perm'], perm)) continue;
      if (graph.consumers(y.name).length > 0 || graph.outputs.filter((o) => o.tensor === y.name).length > 1) continue;
      const z = t.inputs[0];
      if (graph.isGraphOutput(z) || graph.isGraphInput(z) || graph.isConstant(z)) continue;
      const zShape = graph.tensor(z).shape;
      graph.removeNode(t.name, false);
      graph.outputs[i] = { name: port.name, tensor: z };
      graph.removeTensor(y.name);
      // HlsPortLayout.perm takes the model's tensor to the firmware's (channels-last), for outputs too: the
      // inverse of the removed Transpose (the host and the emulator invert it to give the model's layout back).
      rec.outputs.push({ name: port.name, layout: zShape.length === 4 ? 'NHWC' : 'NWC', modelLayout: zShape.length === 4 ? 'NCHW' : 'NCW', perm: TO_LAST[zShape.length], modelShape: [...y.shape] });
      changes++;
    }
    return changes;
  },
};
