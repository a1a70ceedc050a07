/** firmflow's public API: `import { convert, loadModel, registerBackend, ... } from 'firmflow'`. */
export { convert, checkPrecision, readConfigFile } from './api.js';
export type { ConvertOptions, LayerOptions, Project, ResolvedOptions, WriteOptions, WriteResult } from './api.js';

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

// Fixed-point arithmetic on exact codes (bigint raws), shared by the backends' emulators. The generic operator names
// are exported with a `fixed` prefix.
export type { BinaryOp, Fx } from './fixed/index.js';
export {
  add as fixedAdd, cast as fixedCast, compare as fixedCompare, div as fixedDiv, mul as fixedMul, neg as fixedNeg, sub as fixedSub,
  OVERFLOW_MODES, ROUNDING_MODES, convertRaw, cppType, fixedType, formatType, fx, intType, isIntType, ldexpBig, maxRaw, minRaw,
  negType, quantize, quantizeCode, quantizeCodes, rawFromNumber, rawToNumber, resultType, sameType, splitDouble, toNumber, typeRange,
  unionType, validateType,
} from './fixed/index.js';
export { parsePrecision } from './precision/parse.js';
export type { PrecisionSpec } from './precision/parse.js';

// Shapes and the IR's op registry, for backends that lower or emulate ops.
export { broadcastStrides, sizeOf, strides } from './ir/shape.js';
export { getIROp, listIROps } from './ir/ops.js';
export type { RtTensor } from './ir/ops.js';
export { nearestIndexMap, readWindow } from './ir/defs/spatial.js';
export { quantRange } from './ir/defs/quant.js';
export { toFloat64 } from './onnx/tensor.js';

// Estimate figures that backends' sweeps report.
export { ESTIMATE_FIGURES, estimateFigures } from './bench/sweep.js';

// Building ONNX models in code (test models, generated benchmarks) and reading/writing their bytes.
export { ModelBuilder, attr } from './onnx/builder.js';
export { decodeModel, encodeModel } from './onnx/proto.js';
export { QONNX_ROUNDING_MODES, qonnxRound } from './ir/defs/quant.js';

// The command line as a function (argv, io) -> exit code, for hosts and tests that drive the CLI in-process.
export { run as runCli } from './cli/main.js';

// Benchmarks: accuracy against the reference, emulation and simulation speed, estimates (what `firmflow bench` runs).
export { bench } from './bench/run.js';

// Hardening (issue 15): work budgets of model loading, the plugin load timeout, overriding a registered name.
export { DEFAULT_LIMITS, LIMIT_ENV, resolveLimits } from './onnx/limits.js';
export type { TensorLimits } from './onnx/limits.js';
export { DEFAULT_PLUGIN_TIMEOUT_MS, PLUGIN_TIMEOUT_ENV } from './registry/plugins.js';
export type { RegisterNameOptions } from './registry/types.js';

// Backend option schemas (Backend.options) and the typed methods of projects (Project, OpenedProject).
export { validateOption, optionFlag } from './options/schema.js';
export type { OptionSchema, OptionSpec, OptionType, OptionValue } from './options/schema.js';
export type {
  Awaitable, CompileOptions, CompileResult, EstimateResult, PredictOptions, ProjectDescription, ProjectMethodName, ProjectMethods, ProjectReport,
  TraceOptions, TraceResult,
} from './project.js';

// The trace core (src/trace): float recording, per-layer statistics, the table, input feeds.
export { compareLayer, feedData, feedOf, formatTraceNumber, formatTraceTable, isNamedInputs, LayerComparison, outputErrors, recordFloat, summarizeTrace, traceRow } from './trace/index.js';
export type { FeedInputs, FloatFeed, FloatRecordOptions, LayerStats, TensorFeed, TensorTrace, TraceColumn, TraceTableOptions } from './trace/index.js';

// hls4ml-style configuration sections (Model / LayerType / LayerName): the one reader backends and the precision
// command share, hls4ml's layer class names and role spellings.
export { nodesByName, readConfigSections, readPrecisionValue, roleName, sectionSpecOf } from './config/sections.js';
export type { ConfigSection, ConfigSections, LayerNameSection, LayerTypeSection, SectionPrecision, SectionSpec, SectionValue } from './config/sections.js';
export { HLS4ML_LAYER_TYPES } from './config/hls4ml-names.js';
export type { ConfigGranularity } from './registry/types.js';

// Compiling written projects (issue 15): a lock per build folder, outputs renamed into place, an up-to-date check
// on the outputs' content hashes, and the internal error of generated C++ that does not compile.
export { BUILD_LOCK_WAIT_ENV, buildUpToDate, commitOutputs, freshBuildTemp, generatedCodeError, outputHash, withBuildLock, withBuildLockSync, writeBuildStamp } from './writer/build.js';
export type { BuildStamp } from './writer/build.js';
// Model names in messages, escaped for the terminal (control characters as \x1b ...).
export { escapeText, quoted } from './errors.js';
// The naming authority of generated C++ (issue 15): one pool per project for every identifier of every kind.
export { CPP_KEYWORDS, CPP_LIBRARY_GLOBALS, CppNamePool, cppIdentifiersIn } from './writer/cpp-names.js';
export type { CppName } from './writer/cpp-names.js';
