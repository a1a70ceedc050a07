import { type FixedType, fracBits, type GraphPass } from 'firmflow';
import type { PrecisionSetting } from '../config.js';
import {
  DEFAULT_INV_STD_RANGE, DEFAULT_INV_STD_TYPE, DEFAULT_SOFTMAX_TABLE_TYPE, DEFAULT_TABLE_SIZE, DEFAULT_TABLE_TYPE,
  DEFAULT_EXP_RANGE, activationTable, expSumType, invStdTable, softmaxExpSplit, softmaxExpTable, softmaxFineTable, softmaxInvRange, softmaxInvTable,
} from '../tables.js';
import { describe, hls, layerConfig } from './common.js';

const TABLE_OPS = new Set(['Sigmoid', 'Tanh', 'Softplus', 'Elu', 'Selu']);

const typeOr = (p: PrecisionSetting | undefined, d: FixedType): FixedType => (p && p !== 'auto' ? p : d);

/**
 * Builds the lookup tables of table activations, Softmax and LayerNormalization (contents from tables.ts, the
 * single source), with the configured sizes, ranges and types, into HlsLayer.tables and HlsLayer.types.
 */
export const buildTables: GraphPass = {
  name: 'vitis-tables',
  match: 'graph',
  description: 'compute lookup tables (sigmoid, tanh, softplus, elu, selu, softmax exp/inverse, layer-norm inv_std)',
  transform(graph) {
    let changes = 0;
    for (const node of graph.nodes.values()) {
      const layer = hls(node);
      if (!layer) continue;
      const cfg = layerConfig(node);
      const where = describe(node);
      if (TABLE_OPS.has(node.op)) {
        const t = activationTable(node.op, node.attrs, cfg.tableSize['table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['table'], typeOr(cfg.precision.table, DEFAULT_TABLE_TYPE), where);
        layer.tables = { table: t };
        layer.types['table'] = t.type;
        changes++;
      } else if (node.op === 'Softmax' && layer.kernel.startsWith('softmax_stable')) {
        const n = layer.params['n_in'] as number;
        const exp = softmaxExpTable(cfg.tableSize['exp_table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['exp_table'] ?? DEFAULT_EXP_RANGE, typeOr(cfg.precision.exp_table, DEFAULT_SOFTMAX_TABLE_TYPE), where);
        const inv = softmaxInvTable(n, cfg.tableSize['inv_table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['inv_table'] ?? softmaxInvRange(n), typeOr(cfg.precision.inv_table, DEFAULT_SOFTMAX_TABLE_TYPE), where);
        const inFrac = fracBits(layer.types['input']);
        const fine = softmaxFineTable(exp, inFrac);
        const split = softmaxExpSplit(exp, fine, inFrac);
        layer.tables = { exp_table: exp, exp_fine: fine, inv_table: inv };
        layer.params['exp_shift'] = split.shift;
        layer.params['exp_fine_shift'] = split.fineShift;
        layer.params['exp_t_max'] = split.tMax;
        layer.types['exp_table'] = exp.type;
        layer.types['inv_table'] = inv.type;
        layer.types['exp_sum'] = typeOr(cfg.precision.exp_sum, expSumType(n, exp));
        changes++;
      } else if (node.op === 'LayerNormalization') {
        const eps = layer.params['epsilon'] as number;
        const t = invStdTable(eps, cfg.tableSize['table'] ?? DEFAULT_TABLE_SIZE, cfg.tableRange['table'] ?? DEFAULT_INV_STD_RANGE, typeOr(cfg.precision.table, DEFAULT_INV_STD_TYPE), where);
        layer.tables = { table: t };
        layer.types['table'] = t.type;
        changes++;
      }
    }
    return changes;
  },
};
