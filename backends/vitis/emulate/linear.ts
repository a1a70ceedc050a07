import { readWindow } from 'firmflow';
import { constCodes, constType, product, role, unsupported, type BuildContext, type EmuKernel } from './kernel.js';
import { MacEngine } from './mac.js';

/*
 * Dense and Conv (1-D/2-D, channels-last data, HWIO weights, any group count incl. depthwise). A convolution is a
 * Dense over each output pixel's receptive field: the patch is gathered in (kh, kw, c) order, which is the order
 * of the HWIO weight rows, and padding contributes exact zeros.
 */

export function buildDense(ctx: BuildContext): EmuKernel {
  const { node } = ctx;
  const x = ctx.acts[0];
  const wT = ctx.consts.get(1);
  if (!x || !wT) unsupported(ctx, 'needs an activation input and a constant weight');
  const [K, N] = wT.shape as number[];
  const bT = ctx.consts.get(2);
  const wType = constType(wT, role(ctx, 'weight'));
  const bType = bT ? constType(bT, role(ctx, 'bias')) : undefined;
  const mac = new MacEngine({
    K, N, w: constCodes(wT, wType), wType, b: bT ? constCodes(bT, bType!) : undefined, bType,
    xType: x.type, accum: role(ctx, 'accum'), result: ctx.out.type,
  });
  const rows = product(x.shape) / K;
  return {
    node, inputs: [x.tensor.name], output: ctx.out.tensor.name, mac,
    run([X], Y, batch) {
      let over = 0;
      const total = rows * batch;
      for (let r = 0; r < total; r++) over += mac.row(X, r * K, Y, r * N);
      return over;
    },
  } as EmuKernel & { mac: MacEngine };
}

export function buildConv(ctx: BuildContext): EmuKernel {
  const { node } = ctx;
  if (node.attrs['layout'] !== 'NHWC') unsupported(ctx, 'the emulator expects channels-last convolutions (run the vitis flows)');
  const x = ctx.acts[0];
  const wT = ctx.consts.get(1);
  if (!x || !wT) unsupported(ctx, 'needs an activation input and a constant weight');
  const oneD = x.shape.length === 2;
  const [H, W, C] = oneD ? [1, x.shape[0], x.shape[1]] : x.shape;
  const [OH, OW, M] = oneD ? [1, ctx.out.shape[0], ctx.out.shape[1]] : ctx.out.shape;
  const win = readWindow(node.attrs, oneD ? 1 : 2);
  const [kh, kw] = oneD ? [1, win.kernel[0]] : win.kernel;
  const [sh, sw] = oneD ? [1, win.strides[0]] : win.strides;
  const [dh, dw] = oneD ? [1, win.dilations[0]] : win.dilations;
  const [pt, pl] = oneD ? [0, win.pads[0]] : [win.pads[0], win.pads[1]];
  const group = typeof node.attrs['group'] === 'number' ? (node.attrs['group'] as number) : 1;
  const Cg = C / group, Mg = M / group;
  const wType = constType(wT, role(ctx, 'weight'));
  const wAll = constCodes(wT, wType); // [kh, kw, Cg, M]
  const bT = ctx.consts.get(2);
  const bType = bT ? constType(bT, role(ctx, 'bias')) : undefined;
  const bAll = bT ? constCodes(bT, bType!) : undefined;
  const K = kh * kw * Cg;
  // One engine per group, each over its own slice of the HWIO weights.
  const engines: MacEngine[] = [];
  for (let g = 0; g < group; g++) {
    const w = new Float64Array(K * Mg);
    for (let k = 0; k < K; k++) for (let m = 0; m < Mg; m++) w[k * Mg + m] = wAll[k * M + g * Mg + m];
    engines.push(new MacEngine({
      K, N: Mg, w, wType, b: bAll ? bAll.subarray(g * Mg, (g + 1) * Mg) : undefined, bType,
      xType: x.type, accum: role(ctx, 'accum'), result: ctx.out.type,
    }));
  }
  const patch = new Float64Array(K);
  const inSample = H * W * C, outSample = OH * OW * M;
  return {
    node, inputs: [x.tensor.name], output: ctx.out.tensor.name,
    run([X], Y, batch) {
      let over = 0;
      for (let s = 0; s < batch; s++) {
        const xs = s * inSample;
        for (let oh = 0; oh < OH; oh++) {
          const ih0 = oh * sh - pt;
          for (let ow = 0; ow < OW; ow++) {
            const iw0 = ow * sw - pl;
            const yo = s * outSample + (oh * OW + ow) * M;
            for (let g = 0; g < group; g++) {
              let p = 0;
              for (let a = 0; a < kh; a++) {
                const ih = ih0 + a * dh;
                const rowOk = ih >= 0 && ih < H;
                for (let b = 0; b < kw; b++) {
                  const iw = iw0 + b * dw;
                  if (rowOk && iw >= 0 && iw < W) {
                    const src = xs + (ih * W + iw) * C + g * Cg;
                    for (let c = 0; c < Cg; c++) patch[p++] = X[src + c];
                  } else {
                    for (let c = 0; c < Cg; c++) patch[p++] = 0;
                  }
                }
              }
              over += engines[g].row(patch, 0, Y, yo + g * Mg);
            }
          }
        }
      }
      return over;
    },
  };
}
