/*
 * hls4ml's vocabulary, for reading its configuration files as they are: its layer class names (LayerType keys) as
 * the IR ops they become here, its precision role spellings, and the keys of its files that firmflow does not
 * implement (refused by name, never ignored silently).
 */

/** hls4ml layer classes (Keras-, PyTorch- and ONNX-converted models) -> the IR ops (or ONNX ops) they cover. */
export const HLS4ML_LAYER_TYPES: Readonly<Record<string, readonly string[]>> = {
  Dense: ['Dense', 'Gemm', 'MatMul'],
  QDense: ['Dense', 'Gemm', 'MatMul'],
  BinaryDense: ['Dense', 'Gemm', 'MatMul'],
  TernaryDense: ['Dense', 'Gemm', 'MatMul'],
  Conv: ['Conv'],
  Conv1D: ['Conv'],
  Conv2D: ['Conv'],
  QConv1D: ['Conv'],
  QConv2D: ['Conv'],
  DepthwiseConv1D: ['Conv'],
  DepthwiseConv2D: ['Conv'],
  PointwiseConv1D: ['Conv'],
  PointwiseConv2D: ['Conv'],
  SeparableConv1D: ['Conv'],
  SeparableConv2D: ['Conv'],
  Activation: ['Relu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'Softplus', 'Softsign', 'Elu', 'Selu', 'Gelu', 'Clip', 'Exp', 'Abs', 'Erf', 'Neg', 'Reciprocal', 'Sqrt', 'Log'],
  QActivation: ['Relu', 'Sigmoid', 'Tanh', 'HardSigmoid', 'Clip', 'Quant', 'FixedCast'],
  ReLU: ['Relu'],
  LeakyReLU: ['LeakyRelu'],
  ThresholdedReLU: ['Relu'],
  ELU: ['Elu'],
  PReLU: ['PRelu'],
  HardActivation: ['HardSigmoid'],
  ParametrizedActivation: ['LeakyRelu', 'Elu', 'Selu', 'PRelu'],
  Softmax: ['Softmax'],
  BatchNormalization: ['BatchNormalization', 'ScaleShift'],
  QBatchNormalization: ['BatchNormalization', 'ScaleShift'],
  ApplyAlpha: ['ScaleShift', 'Rescale'],
  LayerNormalization: ['LayerNormalization'],
  Pooling1D: ['MaxPool', 'AveragePool'],
  Pooling2D: ['MaxPool', 'AveragePool'],
  MaxPooling1D: ['MaxPool'],
  MaxPooling2D: ['MaxPool'],
  AveragePooling1D: ['AveragePool'],
  AveragePooling2D: ['AveragePool'],
  GlobalPooling1D: ['GlobalMaxPool', 'GlobalAveragePool'],
  GlobalPooling2D: ['GlobalMaxPool', 'GlobalAveragePool'],
  GlobalMaxPooling1D: ['GlobalMaxPool'],
  GlobalMaxPooling2D: ['GlobalMaxPool'],
  GlobalAveragePooling1D: ['GlobalAveragePool'],
  GlobalAveragePooling2D: ['GlobalAveragePool'],
  Merge: ['Add', 'Sub', 'Mul', 'Max', 'Min'],
  Add: ['Add'],
  Subtract: ['Sub'],
  Multiply: ['Mul'],
  Maximum: ['Max'],
  Minimum: ['Min'],
  Concatenate: ['Concat'],
  Reshape: ['Reshape', 'Flatten', 'Squeeze', 'Unsqueeze'],
  Flatten: ['Flatten'],
  Transpose: ['Transpose'],
  Resize: ['Resize'],
  UpSampling1D: ['Resize'],
  UpSampling2D: ['Resize'],
  ZeroPadding1D: ['Pad'],
  ZeroPadding2D: ['Pad'],
};

/** Spellings of one precision role (hls4ml's first): a backend names each role by one of them. */
export const ROLE_SPELLINGS: readonly (readonly string[])[] = [
  ['accum', 'accumulator', 'acc'],
  ['weight', 'weights'],
  ['bias', 'biases'],
  ['result', 'output'],
  ['input'],
];

/**
 * Keys hls4ml's files may hold with the value hls4ml writes by default, which firmflow accepts as such (any other
 * value is refused: firmflow does not implement the feature).
 */
export const HLS4ML_DEFAULTS: Readonly<Record<string, unknown>> = {
  Trace: false,
  TraceOutput: false,
  BramFactor: 1_000_000_000,
  Skip: false,
  ConvImplementation: 'LineBuffer',
};

/** hls4ml keys firmflow does not implement, with what to do instead. */
export const HLS4ML_UNIMPLEMENTED: Readonly<Record<string, string>> = {
  KerasJson: 'firmflow converts ONNX models: give the model as the command argument',
  KerasH5: 'firmflow converts ONNX models: give the model as the command argument',
  KerasModel: 'firmflow converts ONNX models: give the model as the command argument',
  PytorchModel: 'firmflow converts ONNX models: give the model as the command argument',
  OnnxModel: 'give the model as the command argument',
  InputShape: "use --input-shape (or 'inputShapes')",
  InputData: 'use firmflow bench/predict with the inputs',
  OutputPredictions: 'use firmflow bench with the reference outputs',
  Stamp: 'firmflow names the project by ProjectName',
  Version: 'remove it',
  Writer: 'remove it',
  WriterConfig: 'remove it',
  Board: 'use Part',
  Platform: 'use Part',
  Interface: 'remove it',
  Driver: 'remove it',
  AcceleratorConfig: 'remove it',
  ClockUncertainty: 'remove it',
  Flows: 'firmflow runs its backend flows (firmflow flows lists them)',
  Optimizers: 'firmflow runs its backend flows (firmflow flows lists them)',
  SkipOptimizers: 'firmflow runs its backend flows (firmflow flows lists them)',
  Trace: 'use firmflow trace <project>',
  TraceOutput: 'use firmflow trace <project>',
  BramFactor: 'firmflow places weights itself',
  ChannelsLastConversion: 'firmflow chooses the layout of convolutions itself',
  TransposeOutputs: 'firmflow chooses the layout of convolutions itself',
  ConvImplementation: 'firmflow implements convolutions with line buffers (LineBuffer)',
  Skip: 'remove it',
  Precision_maximum: "set the widths explicitly, or use firmflow precision --max-width",
};
