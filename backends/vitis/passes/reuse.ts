import { FirmflowError, type Graph, type GraphPass, type IRNode } from 'firmflow';
import { hlsConfig } from '../config.js';
import { describe, hls, layerConfig, PARTITION_LIMIT, warn } from './common.js';

/**
 * Valid reuse factors of an n_in x n_out multiplication block (docs/design/vitis-backend.md, "Reuse factor"):
 * R divides n_in * n_out, and R divides n_in or is a multiple of n_in.
 */
export function isValidReuseFactor(nIn: number, nOut: number, r: number): boolean {
  const total = nIn * nOut;
  return Number.isInteger(r) && r >= 1 && r <= total && total % r === 0 && (nIn % r === 0 || r % nIn === 0);
}

export function validReuseFactors(nIn: number, nOut: number): number[] {
  const out: number[] = [];
  const total = nIn * nOut;
  for (let r = 1; r <= total; r++) if (isValidReuseFactor(nIn, nOut, r)) out.push(r);
  return out;
}

/** The smallest valid reuse factor that brings n_in * n_out / R within the io_parallel multiplier limit. */
export function reuseForLimit(nIn: number, nOut: number): number | undefined {
  const total = nIn * nOut;
  for (let r = Math.max(1, Math.ceil(total / PARTITION_LIMIT)); r <= total; r++) if (isValidReuseFactor(nIn, nOut, r)) return r;
  return undefined;
}

/** The nearest valid reuse factors below and above r (either may be missing). */
export function nearestReuseFactors(nIn: number, nOut: number, r: number): { below?: number; above?: number } {
  let below: number | undefined, above: number | undefined;
  for (let v = Math.min(r - 1, nIn * nOut); v >= 1; v--) if (isValidReuseFactor(nIn, nOut, v)) { below = v; break; }
  for (let v = r + 1; v <= nIn * nOut; v++) if (isValidReuseFactor(nIn, nOut, v)) { above = v; break; }
  return { below, above };
}

/** The valid value a 'nearest' policy picks: the closer one, the smaller on a tie. */
export function nearestReuseFactor(nIn: number, nOut: number, r: number): number {
  const { below, above } = nearestReuseFactors(nIn, nOut, r);
  if (below === undefined) return above!;
  if (above === undefined) return below;
  return r - below <= above - r ? below : above;
}

/** Valid parallelization factors of a convolution: divisors of its output pixel count. */
export function nearestDivisors(n: number, p: number): { below?: number; above?: number } {
  let below: number | undefined, above: number | undefined;
  for (let v = Math.min(p - 1, n); v >= 1; v--) if (n % v === 0) { below = v; break; }
  for (let v = p + 1; v <= n; v++) if (n % v === 0) { above = v; break; }
  return { below, above };
}

const both = (b: { below?: number; above?: number }): string =>
  [b.below, b.above].filter((v) => v !== undefined).join(' and ');

/**
 * Validates the reuse factor of every Dense/Conv (and the parallelization factor of convolutions). An invalid
 * value is an error listing, for every such layer at once, the nearest valid values on both sides; with
 * reuseFactorPolicy 'nearest' the nearest valid value is used instead, with a warning.
 */
export const validateReuseFactors: GraphPass = {
  name: 'vitis-reuse-factor',
  match: 'graph',
  description: 'validate reuse and parallelization factors (nearest valid values, or the nearest policy)',
  transform(graph, ctx) {
    const config = hlsConfig(ctx.options, graph);
    const policy = config.model.reuseFactorPolicy;
    const problems: string[] = [];
    const details: Record<string, unknown>[] = [];
    let changes = 0;
    for (const node of graph.topoOrder()) {
      const layer = hls(node);
      if (!layer) continue;
      const nIn = layer.params['n_mult_in'] as number | undefined, nOut = layer.params['n_mult_out'] as number | undefined;
      if (nIn !== undefined && nOut !== undefined) {
        if (config.model.io === 'io_parallel' && layerConfig(node).reuseFactorFrom === 'default') changes += chooseReuseFactor(node, nIn, nOut, graph, ctx.log);
        const r = layer.reuseFactor;
        if (!isValidReuseFactor(nIn, nOut, r)) {
          const near = nearestReuseFactors(nIn, nOut, r);
          if (policy === 'nearest') {
            const v = nearestReuseFactor(nIn, nOut, r);
            warn(graph, `${describe(node)}: reuse factor ${r} is not valid for its ${nIn} x ${nOut} multiplications; using ${v}, the nearest valid value`);
            layer.reuseFactor = v;
            changes++;
          } else {
            const from = layerConfig(node).reuseFactorFrom;
            problems.push(`${describe(node)}: reuse factor ${r}${from !== 'default' ? ` (${from})` : ''} is not valid for its ${nIn} x ${nOut} multiplications; the nearest valid values are ${both(near)}`);
            details.push({ layer: layer.layerName, node: node.name, reuseFactor: r, nIn, nOut, below: near.below, above: near.above });
          }
        }
      }
      if (layer.parallelization !== undefined) {
        const pix = ((layer.params['out_height'] as number | undefined) ?? 1) * (layer.params['out_width'] as number);
        const p = layer.parallelization;
        if (pix % p !== 0 || p > pix) {
          const near = nearestDivisors(pix, p);
          if (policy === 'nearest') {
            const v = near.below === undefined ? near.above! : near.above === undefined ? near.below : p - near.below <= near.above - p ? near.below : near.above;
            warn(graph, `${describe(node)}: parallelization factor ${p} does not divide its ${pix} output pixels; using ${v}, the nearest valid value`);
            layer.parallelization = v;
            changes++;
          } else {
            problems.push(`${describe(node)}: parallelization factor ${p} does not divide its ${pix} output pixels; the nearest valid values are ${both(near)}`);
            details.push({ layer: layer.layerName, node: node.name, parallelization: p, pixels: pix, below: near.below, above: near.above });
          }
        }
      }
    }
    if (problems.length) {
      throw new FirmflowError(
        'vitis.reuse',
        `invalid reuse factor${problems.length > 1 ? 's' : ''} for backend ${ctx.backend ?? 'Vitis'} (set a valid value, or reuseFactorPolicy: nearest to use the nearest):\n  - ${problems.join('\n  - ')}`,
        details,
      );
    }
    return changes;
  },
};

/**
 * A layer nothing gave a reuse factor: where reuse factor 1 unrolls more multipliers than io_parallel allows, the
 * smallest valid one that fits, said once per layer (a warning the CLI prints, and the verbose log); recorded in
 * the layer (firmflow.json) and so in the estimate report.
 */
function chooseReuseFactor(node: IRNode, nIn: number, nOut: number, graph: Graph, log: (m: string) => void): number {
  const layer = hls(node)!;
  if ((nIn * nOut) / layer.reuseFactor <= PARTITION_LIMIT) return 0;
  const r = reuseForLimit(nIn, nOut);
  if (r === undefined) return 0;
  const message = `${describe(node)}: reuse factor ${r} chosen (none was configured; reuse factor ${layer.reuseFactor} would unroll ${(nIn * nOut) / layer.reuseFactor} multipliers, over the io_parallel limit of ${PARTITION_LIMIT}; ${r} is the smallest valid one for its ${nIn} x ${nOut} multiplications that fits)`;
  layer.reuseFactor = r;
  layer.reuseFactorChosen = true;
  warn(graph, message);
  log(message);
  return 1;
}
