/*
 * Seeded mutations of ONNX models for the fuzz test: byte-level damage of the file and structural changes of the
 * decoded model (names, shapes, types, inputs, attributes, constants) re-encoded as a valid protobuf. The same
 * seed gives the same models, so a failing case is reproduced by its index.
 */
import { modelType } from '../../src/onnx/proto.js';
import { mulberry32 } from '../../src/util/random.js';

export type Rng = () => number;

/** The core's seeded generator (mulberry32): small, fast, and good enough to spread mutations. */
export const rng = (seed: number): Rng => mulberry32(seed);

const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Hostile strings a model may carry as names: terminal escapes, line breaks, quotes, C++ and shell syntax. */
export const HOSTILE_NAMES = [
  '\u001b[31mred\u001b[0m', 'line\n\nbreak', 'tab\there', '"; rm -rf /; "', "it's", 'a\\b', '', ' ', '..', '../x',
  'x'.repeat(5000), 'int', 'main', '\u0000nul', 'ünïcødé', '$(touch pwned)', 'tp_x', '#define', '\r\n',
];

/** Files fuzz-run.ts creates beside every fuzzed model, for external data to point at. */
export const EXTERNAL_SIBLINGS = ['data.bin', 'pipe.bin', 'folder.bin', 'empty.bin', 'link-out.bin'];

const OPS = ['Relu', 'Add', 'Gemm', 'MatMul', 'Conv', 'Reshape', 'Expand', 'Tile', 'Concat', 'Softmax', 'Transpose', 'Flatten',
  'ConstantOfShape', 'Range', 'Resize', 'Slice', 'Gather', 'Squeeze', 'Unsqueeze', 'BatchNormalization', 'MaxPool', 'Identity',
  'Cast', 'Shape', 'Sigmoid', 'Mul', 'Div', 'Pad', 'NoSuchOp'];

const SPECIAL_INTS = [0, -1, 1, 2, 3, 7, 64, 1 << 20, 2 ** 31 - 1, 2 ** 31, -(2 ** 31), 2 ** 40];
const SPECIAL_FLOATS = [NaN, Infinity, -Infinity, 0, -0, 1e38, -1e38, 1e-45, 3.5];

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Byte-level damage: the file as a disk error, a bad transfer or a wrong file type would leave it. */
export function mutateBytes(bytes: Uint8Array, r: Rng): Uint8Array {
  const b = Uint8Array.from(bytes);
  const kind = int(r, 7);
  const at = int(r, b.length);
  switch (kind) {
    case 0: for (let i = 0, n = 1 + int(r, 8); i < n; i++) b[int(r, b.length)] ^= 1 << int(r, 8); return b;
    case 1: for (let i = 0, n = 1 + int(r, 16); i < n; i++) b[int(r, b.length)] = int(r, 256); return b;
    case 2: return b.subarray(0, at);
    case 3: { const len = 1 + int(r, 64); const out = new Uint8Array(b.length + len); out.set(b.subarray(0, at)); for (let i = 0; i < len; i++) out[at + i] = int(r, 256); out.set(b.subarray(at), at + len); return out; }
    case 4: { const len = Math.min(b.length - at, 1 + int(r, 256)); b.fill(pick(r, [0, 0xff]), at, at + len); return b; }
    case 5: { const len = Math.min(b.length - at, 1 + int(r, 128)); const out = new Uint8Array(b.length + len); out.set(b.subarray(0, at + len)); out.set(b.subarray(at), at + len); return out; }
    default: { const out = new Uint8Array(b.length - Math.min(b.length - at, 1 + int(r, 32))); out.set(b.subarray(0, at)); out.set(b.subarray(at + (b.length - out.length))); return out; }
  }
}

export function decodePlain(bytes: Uint8Array): Obj {
  const T = modelType();
  return T.toObject(T.decode(bytes), { longs: Number, arrays: true, defaults: false }) as Obj;
}

export function encodePlain(model: Obj): Uint8Array {
  const T = modelType();
  return T.encode(T.fromObject(model)).finish();
}

/** Every value name of the graph (inputs, outputs, initializers, node outputs). */
function valueNames(g: Obj): string[] {
  return [...g.input.map((v: Obj) => v.name), ...g.initializer.map((t: Obj) => t.name), ...g.node.flatMap((n: Obj) => n.output), ...g.output.map((v: Obj) => v.name)];
}

function floatBytes(values: number[]): Uint8Array {
  return new Uint8Array(Float32Array.from(values).buffer);
}

/** Structural changes: each keeps the protobuf valid and breaks or stretches one rule of ONNX or of firmflow. */
const STRUCTURAL: ((g: Obj, r: Rng, m: Obj) => void)[] = [
  (g, r) => { const n = pick(r, g.node) as Obj; if (n.input.length) n.input[int(r, n.input.length)] = ''; },
  (g, r) => { const n = pick(r, g.node) as Obj; if (n.input.length) n.input[int(r, n.input.length)] = pick(r, [...valueNames(g), 'nowhere']); },
  (g, r) => { if (g.initializer.length) g.initializer.splice(int(r, g.initializer.length), 1); },
  (g, r) => { const t = pick(r, g.initializer) as Obj | undefined; if (t?.dims.length) t.dims[int(r, t.dims.length)] = pick(r, SPECIAL_INTS); },
  (g, r) => {
    const t = pick(r, g.initializer) as Obj | undefined;
    if (!t || t.data_type !== 1) return;
    const v = pick(r, SPECIAL_FLOATS);
    if (t.raw_data?.length >= 4) {
      const raw = Uint8Array.from(t.raw_data);
      const f = new Float32Array(raw.buffer, 0, raw.length >> 2);
      f[int(r, f.length)] = v;
      t.raw_data = raw;
    }
    else if (t.float_data?.length) t.float_data[int(r, t.float_data.length)] = v;
  },
  (g, r) => { const t = pick(r, g.initializer) as Obj | undefined; if (t) t.data_type = int(r, 26); },
  (g, r) => { const n = pick(r, g.node) as Obj; n.op_type = pick(r, OPS); },
  (g, r) => { const n = pick(r, g.node) as Obj; if (n.attribute?.length) n.attribute.splice(int(r, n.attribute.length), 1); },
  (g, r) => {
    const n = pick(r, g.node) as Obj;
    const a = pick(r, n.attribute ?? []) as Obj | undefined;
    if (!a) return;
    if (a.ints?.length) a.ints[int(r, a.ints.length)] = pick(r, SPECIAL_INTS);
    else if (a.i !== undefined) a.i = pick(r, SPECIAL_INTS);
    else if (a.f !== undefined) a.f = pick(r, SPECIAL_FLOATS);
    else a.type = int(r, 12);
  },
  (g, r) => { const n = pick(r, g.node) as Obj; n.name = pick(r, HOSTILE_NAMES); },
  (g, r) => {
    // Renames a value everywhere it appears, so the graph stays connected under a hostile name.
    const old = pick(r, valueNames(g));
    const name = pick(r, HOSTILE_NAMES);
    const ren = (s: string) => (s === old ? name : s);
    for (const n of g.node) { n.input = n.input.map(ren); n.output = n.output.map(ren); }
    for (const v of [...g.input, ...g.output, ...g.initializer]) v.name = ren(v.name);
  },
  (g, r) => { const o = pick(r, g.output) as Obj | undefined; if (o) o.name = pick(r, [...g.input.map((v: Obj) => v.name), ...g.initializer.map((t: Obj) => t.name)]); },
  (g, r) => { if (g.node.length) g.node.push(structuredClone(pick(r, g.node))); },
  (g) => { g.output = []; },
  (g, r) => {
    const v = pick(r, g.input) as Obj | undefined;
    const dims = v?.type?.tensor_type?.shape?.dim;
    if (dims?.length) dims[int(r, dims.length)] = pick(r, [{ dim_value: pick(r, SPECIAL_INTS) }, { dim_param: pick(r, ['N', 'H', '']) }, {}]);
  },
  (g, r) => {
    const t = pick(r, g.initializer) as Obj | undefined;
    if (!t) return;
    t.data_location = 1;
    // Names of the siblings fuzz-run.ts prepares beside the model (a data file, a FIFO, a folder, an empty file,
    // a link leaving the folder), and paths that must be refused before any file is touched.
    const location = pick(r, [...EXTERNAL_SIBLINGS, 'missing.bin', '../outside.bin', '', '/etc/passwd', '.']);
    t.external_data = [{ key: 'location', value: location }];
    if (r() < 0.5) t.external_data.push({ key: 'length', value: String(pick(r, [...SPECIAL_INTS, 4, 16, 32])) });
    if (r() < 0.5) t.external_data.push({ key: 'offset', value: String(pick(r, [0, 4, 4096, 2 ** 40, -1])) });
    delete t.raw_data;
    delete t.float_data;
  },
  (g, r) => {
    // A huge shape computed from constants: folding must stay within its budget.
    const src = pick(r, g.node) as Obj;
    g.initializer.push({ name: 'fz_shape', data_type: 7, dims: [2], int64_data: [pick(r, [32768, 1 << 20, 4]), pick(r, [32768, 4])] });
    g.initializer.push({ name: 'fz_one', data_type: 1, dims: [1], raw_data: floatBytes([1]) });
    g.node.unshift({ op_type: pick(r, ['Expand', 'Tile', 'ConstantOfShape']), input: ['fz_one', 'fz_shape'], output: ['fz_big'], name: 'fz_expand' });
    g.output.push({ name: 'fz_big', type: { tensor_type: { elem_type: 1 } } });
    void src;
  },
  (g, r, m) => { const o = pick(r, m.opset_import) as Obj | undefined; if (o) o.version = pick(r, [1, 5, 7, 13, 99]); },
  (g, r) => { const t = pick(r, g.initializer) as Obj | undefined; if (t?.raw_data?.length) t.raw_data = Uint8Array.from(t.raw_data).subarray(0, int(r, t.raw_data.length)); },
  (g, r) => { const t = pick(r, g.initializer) as Obj | undefined; if (t) t.name = pick(r, [...valueNames(g), ...HOSTILE_NAMES]); },
  (g, r) => { if (g.node.length > 1) { const i = int(r, g.node.length); const j = int(r, g.node.length); [g.node[i].output, g.node[j].output] = [g.node[j].output, g.node[i].output]; } },
  (g, r) => {
    g.node.unshift({ op_type: 'Constant', output: [pick(r, ['fz_c', ...valueNames(g)])], name: 'fz_const', attribute: [{ name: 'value', type: 4, t: { data_type: 1, dims: [2], float_data: [pick(r, SPECIAL_FLOATS), pick(r, SPECIAL_FLOATS)] } }] });
  },
];

export const STRUCTURAL_KINDS = STRUCTURAL.length;

/** One to three structural mutations of a decoded model. */
export function mutateStructure(bytes: Uint8Array, r: Rng): Uint8Array {
  const m = decodePlain(bytes);
  const g = m.graph as Obj;
  m.opset_import ??= [];
  const count = 1 + int(r, 3);
  for (let i = 0; i < count; i++) {
    for (const k of ['node', 'initializer', 'input', 'output']) g[k] ??= [];
    for (const n of g.node) { n.input ??= []; n.output ??= []; n.attribute ??= []; }
    STRUCTURAL[int(r, STRUCTURAL.length)](g, r, m);
  }
  return encodePlain(m);
}

export interface FuzzCase {
  index: number;
  base: string;
  kind: 'bytes' | 'structure';
  bytes: Uint8Array;
}

/** The `index`-th case of a seeded run over the given models (name -> bytes). */
export function fuzzCase(seed: number, index: number, models: [string, Uint8Array][]): FuzzCase {
  const r = rng((seed * 1_000_003 + index * 7919) >>> 0);
  const [base, bytes] = models[index % models.length];
  const kind = r() < 0.4 ? 'bytes' : 'structure';
  return { index, base, kind, bytes: kind === 'bytes' ? mutateBytes(bytes, r) : mutateStructure(bytes, r) };
}
