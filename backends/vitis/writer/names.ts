import { join } from 'node:path';
import { CPP_LIBRARY_GLOBALS, type CppName, CppNamePool, cppIdentifiersIn, cppType, type FixedType, type IRNode, type Tensor } from 'firmflow';

export type { CppName };

/*
 * The naming authority of a generated Vitis/Vivado project (on the core's CppNamePool). Every identifier the
 * writer declares (types, arrays, tables, config structs, streams, the top function, its include guard) is a
 * `CppName` from here: the builder's declaring methods take `CppName`s only. The pool reserves the identifiers of
 * the templates the project includes (nnet, ap_types, the project templates), C library globals and the
 * `nnet`/`hls`/`ap` prefixes.
 */
/** Prefixes of the HLS libraries' namespaces and macros (case-insensitive). */
const RESERVED_PREFIX = /^(nnet|hls|ap|aesl|autopilot|ssdm)_/i;

let reservedCache: { dir: string; words: string[] } | undefined;
function reservedWords(templates: string): string[] {
  if (reservedCache?.dir !== templates) {
    const words = [...CPP_LIBRARY_GLOBALS, ...cppIdentifiersIn(['nnet', 'ap_types', 'project'].map((d) => join(templates, d)))];
    reservedCache = { dir: templates, words };
  }
  return reservedCache.words;
}

/** Every identifier of one generated Vitis/Vivado project. */
export class ProjectNames {
  private readonly pool: CppNamePool;
  /** The top function (and the file names of the project's sources). */
  readonly top: CppName;
  /** The include guard of the top function's header. */
  readonly guard: CppName;

  constructor(projectName: string, templatesDir: string) {
    this.pool = new CppNamePool(reservedWords(templatesDir), RESERVED_PREFIX);
    this.top = this.get('top', projectName);
    this.guard = this.get('guard', `${this.top.toUpperCase()}_H_`);
  }

  private get(key: string, wanted: string): CppName {
    return this.pool.name(key, wanted);
  }

  /** The name of `key` if one was allocated. */
  peek(key: string): CppName | undefined {
    return this.pool.peek(key);
  }

  act(t: Tensor): CppName { return this.get(`act:${t.id}`, `act_${t.id}`); }
  type(t: Tensor): CppName { return this.get(`type:${t.id}`, `tp_${t.id}`); }
  beat(t: Tensor): CppName { return this.get(`beat:${t.id}`, `beat_${t.id}`); }
  constant(t: Tensor): CppName { return this.get(`const:${t.id}`, `w_${t.id}`); }
  /** A stream of tensor `t` besides its own (`src`, a reader's copy `c0`, a clone chain link `r0`). */
  stream(t: Tensor, what: string): CppName { return this.get(`stream:${t.id}:${what}`, `act_${t.id}_${what}`); }
  /** The local buffer of input `i` (tensor `t`) of a buffered io_stream layer; each layer's buffers are in a block of their own. */
  buffer(t: Tensor, i: number): CppName { return this.get(`buffer:${t.id}:${i}`, `buf_act_${t.id}`); }
  /** The local result buffer of buffered io_stream layers. */
  bufferOut(): CppName { return this.get('buffer-out', 'buf_out'); }
  config(n: IRNode): CppName { return this.get(`config:${n.id}`, `cfg_${n.id}`); }
  /** One of several config structs of a node (Concat's per input). */
  configPart(n: IRNode, i: number): CppName { return this.get(`config:${n.id}:${i}`, `cfg_${n.id}_${i}`); }
  /** Constants that belong to a node rather than a tensor (tables, scalar factors, index maps). */
  nodeConst(n: IRNode, what: string): CppName { return this.get(`node-const:${n.id}:${what}`, `k_${n.id}_${what}`); }
  nodeType(n: IRNode, what: string): CppName { return this.get(`node-type:${n.id}:${what}`, `tp_${n.id}_${what}`); }
}

export function fixedCpp(t: FixedType): string {
  return cppType(t);
}

/** The integer type whose codes a synthesis weight header stores (same width and signedness). */
export function codeCpp(t: FixedType): string {
  return `${t.signed ? 'ap_int' : 'ap_uint'}<${t.width}>`;
}
