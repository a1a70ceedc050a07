/*
 * The per-layer trace a backend's `trace` hook returns (`firmflow predict --trace`, and the trace of `firmflow
 * bench`): each layer's fixed-point output from the emulator next to the float model's, with the error bound the
 * layer's arithmetic explains. Backends extend the row and the report with fields of their own; `firmflow bench`
 * reads the fields below (checking each one, since a plugin's hook result is not trusted).
 */

/** One layer (or a graph input's conversion) of a trace. */
export interface TraceLayerSummary {
  /** Position in the backend's layer order; -1 for a graph input's conversion. */
  index: number;
  /** The layer's name in the backend's report ('input <name>' for a graph input). */
  layer: string;
  /** IR node ('' for a graph input). */
  node: string;
  op: string;
  /** The backend's kernel ('' when none). */
  kernel: string;
  /** The output tensor compared. */
  tensor: string;
  /** The output type, as the backend spells it. */
  type: string;
  /** Largest and mean |fixed - float| over every sample and element (NaN: the float model has no such tensor). */
  maxAbsError: number;
  meanAbsError: number;
  /** The bound of the sample with the largest error / bound ratio. */
  bound: number;
  /** max over samples of error / bound (> 1: not explained by the layer's arithmetic). */
  ratio: number;
  /** Samples whose error exceeds their bound. */
  samplesExceeding: number;
  exceeds: boolean;
  /** Values that needed an overflow mode in this layer, over all samples. */
  overflows: number;
  /** What the overflow did ('saturated', 'wrapped' ...), when overflows > 0. */
  overflowKind?: string;
  /** Ranges of the fixed-point and float outputs, and of the output type. */
  fixedRange: [number, number];
  floatRange: [number, number];
  typeRange: [number, number];
}

export interface TraceReportLike<L extends TraceLayerSummary = TraceLayerSummary> {
  samples: number;
  /** Graph inputs' conversions, then every layer in the backend's order. */
  layers: L[];
  /** The first layer whose error its arithmetic does not explain. */
  firstUnexplained?: L;
  /** Layers with overflowing values, with counts. */
  overflowed: { layer: string; count: number; kind: string }[];
  /** Largest and mean absolute error of each graph output against the float model. */
  outputs: Record<string, { maxAbsError: number; meanAbsError: number }>;
}
