/*
 * Helpers the kernels' planners share: reading a node's operands and per-sample geometry, and the refusal a
 * planner throws when a node has no kernel (passes/kernels.ts turns it into the node's reason).
 */
import { type Graph, type IRNode, sizeOf, type Tensor } from 'firmflow';
import type { HlsStrategy } from '../lowered.js';
import { perSample } from './common.js';

/** A node's kernel and the sizes of its C++ config struct; `mult` gives the multiplication array for reuse. */
export interface KernelPlan {
  kernel: string;
  params: Record<string, number | number[] | string>;
  /** Dense/Conv: the n_in x n_out multiplication block the reuse factor divides. */
  mult?: { nIn: number; nOut: number };
}

export type Planner = (node: IRNode, graph: Graph, strategy: HlsStrategy) => KernelPlan;

/** Thrown by a planner: the node has no kernel, for the reason given. */
export class Unsupported extends Error {}

export const num = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);
export const list = (v: unknown): number[] | undefined => (Array.isArray(v) && v.every((x) => typeof x === 'number') ? (v as number[]) : undefined);

/** Per-sample shape of an activation, or a refusal. */
export function sample(t: Tensor): number[] {
  const s = perSample(t);
  if (typeof s === 'string') throw new Unsupported(s);
  return s;
}

function inT(node: IRNode, graph: Graph, i: number): Tensor {
  const n = node.inputs[i];
  if (!n) throw new Unsupported(`input ${i} is missing`);
  return graph.tensor(n);
}

export function requireConst(node: IRNode, graph: Graph, i: number, what: string): Tensor {
  const t = inT(node, graph, i);
  if (!t.data) throw new Unsupported(`its ${what} (input ${i}, '${t.name}') is computed at run time; the FPGA kernels need it constant`);
  return t;
}

export function requireActivation(node: IRNode, graph: Graph, i: number): Tensor {
  const t = inT(node, graph, i);
  if (t.data) throw new Unsupported(`input ${i} ('${t.name}') is a constant; constant folding should have removed this node`);
  return t;
}

/** The batch axis must pass through unchanged. */
export function sameBatch(node: IRNode, graph: Graph): void {
  const x = graph.tensor(node.inputs[0]);
  const y = graph.tensor(node.outputs[0]);
  if (x.shape[0] !== y.shape[0]) throw new Unsupported(`it changes the batch axis (${x.shape[0]} -> ${y.shape[0]}); layers work on one sample at a time`);
}

/** A kernel over every element of its one activation input. */
export function elementwisePlanner(kernel: string): Planner {
  return (node, graph) => {
    const x = requireActivation(node, graph, 0);
    return { kernel, params: { n_in: sizeOf(sample(x)) } };
  };
}

/** Channels-last 1-D or 2-D geometry of a windowed kernel (convolution, pooling) as its config fields. */
export function spatialGeometry(node: IRNode, x: Tensor, y: Tensor): { dims: 1 | 2; p: Record<string, number> } {
  if ((node.attrs['layout'] ?? 'NCHW') !== 'NHWC') throw new Unsupported('it is still channels-first (NCHW); the FPGA kernels take channels-last data (the channels-last conversion did not apply to it)');
  const s = sample(x), o = sample(y);
  const dims = s.length - 1;
  if (dims !== 1 && dims !== 2) throw new Unsupported(`only 1-D and 2-D spatial data is supported (input per sample ${s.join('x')})`);
  const k = list(node.attrs['kernelShape']) ?? [];
  const st = list(node.attrs['strides']) ?? new Array(dims).fill(1);
  const dl = list(node.attrs['dilations']) ?? new Array(dims).fill(1);
  const pads = list(node.attrs['pads']) ?? new Array(2 * dims).fill(0);
  if (dims === 2) {
    return {
      dims,
      p: {
        in_height: s[0], in_width: s[1], n_chan: s[2],
        filt_height: k[0] ?? 1, filt_width: k[1] ?? 1,
        stride_height: st[0], stride_width: st[1], dilation_height: dl[0], dilation_width: dl[1],
        pad_top: pads[0], pad_left: pads[1], pad_bottom: pads[2], pad_right: pads[3],
        out_height: o[0], out_width: o[1], n_filt: o[2],
      },
    };
  }
  return {
    dims,
    p: {
      in_width: s[0], n_chan: s[1], filt_width: k[0] ?? 1, stride_width: st[0], dilation_width: dl[0],
      pad_left: pads[0], pad_right: pads[1], out_width: o[0], n_filt: o[1],
    },
  };
}

/** Per-sample shapes of broadcast operands, right-aligned to the output rank (constants keep no batch axis). */
export function broadcastShapes(node: IRNode, graph: Graph): { shapes: number[][]; out: number[] } {
  const y = graph.tensor(node.outputs[0]);
  const out = sample(y);
  const rank = y.shape.length;
  const shapes = node.inputs.filter((i) => i !== '').map((name) => {
    const t = graph.tensor(name);
    let full = [...t.shape];
    if (full.length > rank) throw new Unsupported(`operand '${name}' has more axes than the result`);
    while (full.length < rank) full.unshift(1);
    if (t.data) {
      if (full[0] !== 1) throw new Unsupported(`constant operand '${name}' varies along the batch axis`);
    } else if (full[0] !== y.shape[0]) {
      throw new Unsupported(`operand '${name}' broadcasts along the batch axis (${String(full[0])} vs ${String(y.shape[0])})`);
    }
    full = full.slice(1);
    if (full.some((d) => typeof d !== 'number')) throw new Unsupported(`operand '${name}' has a symbolic dimension`);
    return full as number[];
  });
  return { shapes, out };
}
