import { type GraphPass, type IRNode, sizeOf } from 'firmflow';
import { hlsConfig } from '../config.js';
import type { HlsLayer, HlsStreamInfo } from '../lowered.js';
import { kernelFor, type StreamKind } from '../kernels/index.js';
import { hls, shapeOf } from './common.js';

/** The io_stream kernel name: `_stream` appended; Dense/Conv drop the strategy (it stays in HlsLayer.strategy). */
export function streamKernel(kernel: string): string {
  if (kernel.endsWith('_stream')) return kernel;
  return `${kernel.replace(/_(latency|resource)$/, '')}_stream`;
}

/** How a node's kernel reads its streams (kernels/contract.ts StreamKind). */
const streamKind = (node: IRNode): StreamKind => kernelFor(node.op)!.stream;

/** Beats of input a consumer may hold back before it reads on (the FIFO depth its producer needs). */
function lag(node: IRNode, layer: HlsLayer, beatsOfInput: number): number {
  const kind = streamKind(node);
  if (kind === 'merge') return beatsOfInput;
  if (kind !== 'line-buffer') return 1;
  const p = layer.params;
  // One padded row of pixels (a pixel per beat) for 2-D windows, one window for 1-D ones.
  if (p['in_height'] !== undefined) return (p['in_width'] as number) + ((p['pad_left'] as number) ?? 0) + ((p['pad_right'] as number) ?? 0);
  return ((p['filt_width'] as number) - 1) * ((p['dilation_width'] as number) ?? 1) + 1;
}

/**
 * io_stream transformations: stream kernels, the packing of every activation stream (one beat = the last axis of
 * a sample: the channels of a pixel, or a whole vector), repacking between layers whose packings differ, line
 * buffer sizes of convolutions and pooling, and FIFO depths (the largest lag of a consumer, or `fifoDepth`).
 */
export const streamLayers: GraphPass = {
  name: 'vitis-stream',
  match: 'graph',
  description: 'io_stream: stream kernels, stream packing and repacking, line buffers, FIFO depths',
  transform(graph, ctx) {
    const model = hlsConfig(ctx.options, graph).model;
    if (model.io !== 'io_stream') return 0;
    let changes = 0;
    const infoOf = (name: string): HlsStreamInfo => {
      const t = graph.tensor(name);
      let s = t.meta['hlsStream'] as HlsStreamInfo | undefined;
      if (!s) {
        const shape = shapeOf(t);
        const pack = shape.length ? shape[shape.length - 1] : 1;
        s = { pack, beats: sizeOf(shape) / pack, depth: 1 };
        t.meta['hlsStream'] = s;
      }
      return s;
    };
    for (const p of graph.inputs) infoOf(p.tensor);
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      if (!layer) continue;
      layer.kernel = streamKernel(layer.kernel);
      layer.io = 'io_stream';
      const ins = node.inputs.filter((t) => t !== '' && !graph.isConstant(t));
      const outs = node.outputs.filter((t) => t !== '');
      for (const t of [...ins, ...outs]) infoOf(t);
      if (ins.length) layer.params['in_pack'] = infoOf(ins[0]).pack;
      if (outs.length) layer.params['out_pack'] = infoOf(outs[0]).pack;
      if (layer.params['in_pack'] !== layer.params['out_pack']) layer.params['repack'] = 1;
      if (streamKind(node) === 'line-buffer') {
        const p = layer.params;
        const dh = (p['dilation_height'] as number | undefined) ?? 1, dw = (p['dilation_width'] as number) ?? 1;
        p['lb_width'] = p['in_height'] !== undefined ? (p['in_width'] as number) + (p['pad_left'] as number) + (p['pad_right'] as number) : ((p['filt_width'] as number) - 1) * dw + 1;
        p['lb_rows'] = p['in_height'] !== undefined ? ((p['filt_height'] as number) - 1) * dh + 1 : 1;
        p['lb_chan'] = p['n_chan'] as number;
        layer.parallelization ??= 1;
      }
      for (const t of ins) {
        const s = infoOf(t);
        s.depth = Math.max(s.depth, lag(node, layer, s.beats));
      }
      changes++;
    }
    // A stream read by several layers feeds them all from one producer: it must hold what the slowest lags.
    for (const t of graph.tensors.values()) {
      const s = t.meta['hlsStream'] as HlsStreamInfo | undefined;
      if (!s) continue;
      if (graph.consumers(t.name).length > 1) s.depth = s.beats;
      if (model.fifoDepth !== undefined) s.depth = model.fifoDepth;
    }
    return changes;
  },
};
