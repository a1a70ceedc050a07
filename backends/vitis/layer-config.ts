/*
 * What the configuration gives a layer and the model: precision roles, reuse factor, strategy, tables. A leaf module:
 * the kernel contracts and passes read these types without importing the configuration reader (config.ts), which
 * itself reads the kernels' facts (their tables, data roles and implementations).
 */
import type { FixedType } from 'firmflow';
import type { HlsIO, HlsStrategy } from './lowered.js';

export const ROLES = ['weight', 'bias', 'accum', 'result', 'table', 'exp_table', 'inv_table', 'exp_sum', 'scale', 'shift', 'inv_scale'] as const;
export type Role = (typeof ROLES)[number];

/** A precision as configured: a type, or 'auto' (derived exactly / from the values, see the lowering). */
export type PrecisionSetting = FixedType | 'auto';

export interface LayerConfig {
  /** The reuse factor asked for, and where it came from (for messages). */
  reuseFactor: number;
  reuseFactorFrom: string;
  strategy: HlsStrategy;
  parallelization?: number;
  /** Roles configured explicitly (anything not here takes the lowering's default for the op). */
  precision: Partial<Record<Role, PrecisionSetting>>;
  /**
   * Roles whose precision was set for this layer (LayerName, options.layers, LayerType) rather than model-wide
   * (Model, option precision): a model-wide data type does not override what a layer's own arithmetic needs
   * (Softmax probabilities, exact results between a model's quantizers).
   */
  layerRoles: Role[];
  /** Table sizes and ranges by table name. */
  tableSize: Record<string, number>;
  tableRange: Record<string, [number, number]>;
  implementation?: string;
}

export interface ModelConfig {
  io: HlsIO;
  /** Default data type: graph inputs and layer results. */
  data: FixedType;
  reuseFactorPolicy: 'error' | 'nearest';
  /** FIFO depth override for every stream (io_stream). */
  fifoDepth?: number;
  /** Precision of graph inputs configured by port name (LayerName entries naming a graph input). */
  inputs: Record<string, FixedType>;
}
