/** firmflow's public API: `import { convert, loadModel, registerBackend, ... } from 'firmflow'`. */
export { convert, checkPrecision, readConfigFile, DEFAULTS } from './api.js';
export type { ConvertOptions, IOType, LayerOptions, Project, ResolvedOptions, Strategy, WriteOptions, WriteResult } from './api.js';

export { FirmflowError, isFirmflowError } from './errors.js';

export { loadModel } from './onnx/frontend.js';
export type { LoadOptions, UnsupportedItem } from './onnx/frontend.js';
export type { AttrSpec, InputSpec, LowerContext, OnnxNode, OpHandler } from './onnx/handlers.js';

export { Graph } from './ir/graph.js';
export { ensureBuiltinIROps } from './ir/defs/index.js';
export type { GraphPort, IRNode, NodeSpec, Tensor, TensorSpec } from './ir/graph.js';
export type { AffineQuant, Attrs, AttrValue, Dim, DType, FixedType, OverflowMode, RoundingMode, Shape, TensorData } from './ir/types.js';
export { IdentifierPool, sanitizeIdentifier } from './ir/names.js';
export { fracBits, quantizeArray } from './fixed/index.js';

export type { TraceLayerSummary, TraceReportLike } from './bench/backend-trace.js';
export { positiveAxisValue } from './bench/sweep.js';

export { interpret } from './interp/interpreter.js';
export type { Feed, InterpretOptions } from './interp/interpreter.js';

export { runFlows, runPass } from './pipeline/driver.js';
export type { FlowsResult, RunFlowsOptions } from './pipeline/driver.js';
export { getFlow, getPass, listFlows, resolveFlowOrder } from './pipeline/flows.js';
export type { Flow, GraphPass, NodePass, Pass, PassContext, PassRecord } from './pipeline/pass.js';

export {
  PLUGIN_ENV, SHARED_FLOWS, discoverPlugins, ensureSharedFlows, findBackend, getAvailableBackends, getBackend,
  getPluginWarnings, getWriter, listPlugins, loadAllPlugins, registerBackend, registerFlow, registerOpHandler,
  registerPass, registerWriter, resetPlugins, resetRegistry, takePluginWarnings, usePlugin,
} from './registry/index.js';
export type {
  Backend, BackendInfo, BackendSweep, FirmflowPlugin, NamedTensors, OpenedProject, OutputFiles, PluginAPI, PluginInfo, PluginManifest, PluginMeta, PluginOrigin,
  PluginRegister, PluginStatus, RegisterPassOptions, SweepAxis, SweepContext, SweepFigure, SweepValue, WriteContext, Writer,
} from './registry/types.js';

export { jsonSafe, renderTemplate, renderTemplateTo, writeAtomically, writeBinaryFile, writeTextFile } from './writer/index.js';
