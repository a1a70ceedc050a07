import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cppType, type FixedType, type IRNode, type Tensor } from 'firmflow';

/*
 * The one naming authority of a generated project. Every identifier the writer declares (types, arrays, tables,
 * config structs, streams, the top function, its include guard) is a `CppName`, and only `ProjectNames` makes
 * those: the builder's declaring methods take `CppName`s, so a name cannot reach the C++ without passing here.
 *
 * IR ids are unique per kind only (a tensor `sm_exp_table` and a Softmax node `sm` once both gave
 * `tp_sm_exp_table`, and the C simulation computed garbage). Here every name of every kind shares one pool, which
 * also holds the C++ keywords, the identifiers of the templates the project includes (nnet, ap_types, the project
 * templates: their macros and globals), common C library globals, and the reserved spellings (leading `_`, `__`
 * anywhere, the `nnet`/`hls`/`ap` prefixes). A wanted name that is taken gets `_2`, `_3` ...; one with a reserved
 * prefix gets `u_` in front. Uniqueness is case-insensitive, since constant names are also file names.
 */
declare const cppNameBrand: unique symbol;
/** An identifier handed out by `ProjectNames` (the only way to make one). */
export type CppName = string & { readonly [cppNameBrand]: true };

const KEYWORDS = (
  'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class compl concept const ' +
  'consteval constexpr constinit const_cast continue co_await co_return co_yield decltype default delete do double dynamic_cast else ' +
  'enum explicit export extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr ' +
  'operator or or_eq private protected public register reinterpret_cast requires return short signed sizeof static static_assert ' +
  'static_cast struct switch template this thread_local throw true try typedef typeid typename union unsigned using virtual void ' +
  'volatile wchar_t while xor xor_eq final override import module'
).split(' ');

/** Globals and macros of the C and C++ libraries the generated sources include (a top function must not be one). */
const LIBRARY_GLOBALS = (
  'main std NULL EOF assert errno stdin stdout stderr abs labs div exit abort atexit quick_exit getenv system malloc calloc realloc ' +
  'free printf fprintf sprintf snprintf puts putchar getchar fopen fclose fread fwrite fflush fseek ftell remove rename tmpfile ' +
  'memcpy memmove memset memcmp strlen strcmp strncmp strcpy strncpy strcat strchr strstr strtol strtod atoi atol atof rand srand ' +
  'time clock difftime signal raise sqrt exp log log2 log10 pow sin cos tan floor ceil round trunc fabs fmod min max isnan isinf ' +
  'signbit index select open close read write y0 y1 yn j0 j1 jn gamma linux unix i386 offsetof size_t int8_t int16_t int32_t ' +
  'int64_t uint8_t uint16_t uint32_t uint64_t'
).split(' ');

/** Prefixes of the HLS libraries' namespaces and macros (case-insensitive). */
const RESERVED_PREFIX = /^(nnet|hls|ap|aesl|autopilot|ssdm)_/i;

/** Identifiers in the C++ of the templates (comments and string literals left out). */
function templateIdentifiers(templates: string): string[] {
  const out = new Set<string>();
  for (const sub of ['nnet', 'ap_types', 'project']) {
    let files: string[];
    try { files = readdirSync(join(templates, sub)).sort(); } catch { continue; }
    for (const f of files.filter((n) => /\.(h|hpp|cpp)(\.ejs)?$/.test(n))) {
      const code = readFileSync(join(templates, sub, f), 'utf8')
        .replace(/<%[\s\S]*?%>/g, ' ')
        .replace(/\/\*[\s\S]*?\*\//g, ' ')
        .replace(/\/\/.*$/gm, ' ')
        .replace(/"(?:\\.|[^"\\\n])*"/g, ' ')
        .replace(/^#\s*(?:error|warning|pragma).*$/gm, ' ');
      for (const m of code.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) out.add(m[0]);
    }
  }
  return [...out];
}

let reservedCache: { dir: string; words: Set<string> } | undefined;
function reservedWords(templates: string): Set<string> {
  if (reservedCache?.dir !== templates) {
    const words = new Set<string>();
    for (const w of [...KEYWORDS, ...LIBRARY_GLOBALS, ...templateIdentifiers(templates)]) words.add(w.toLowerCase());
    reservedCache = { dir: templates, words };
  }
  return reservedCache.words;
}

/** Makes any text an identifier of letters, digits and single underscores, not starting with a digit or `_`. */
function identifierOf(text: string): string {
  let s = text.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+/, '');
  if (s === '') s = 'v';
  if (/^[0-9]/.test(s)) s = `v_${s}`;
  return s;
}

/** Every identifier of one generated project. Names are memoized by what they name, so asking twice is one name. */
export class ProjectNames {
  private readonly taken = new Set<string>();
  private readonly byKey = new Map<string, CppName>();
  private readonly reserved: Set<string>;
  /** The top function (and the file names of the project's sources). */
  readonly top: CppName;
  /** The include guard of the top function's header. */
  readonly guard: CppName;

  constructor(projectName: string, templatesDir: string) {
    this.reserved = reservedWords(templatesDir);
    this.top = this.get('top', projectName);
    this.guard = this.get('guard', `${this.top.toUpperCase()}_H_`);
  }

  private isFree(s: string): boolean {
    const low = s.toLowerCase();
    return !this.taken.has(low) && !this.reserved.has(low) && !RESERVED_PREFIX.test(s) && !s.includes('__');
  }

  /** The name of `key`, allocated on first request close to `wanted`. */
  private get(key: string, wanted: string): CppName {
    const have = this.byKey.get(key);
    if (have) return have;
    let base = identifierOf(wanted);
    if (RESERVED_PREFIX.test(base)) base = `u_${base}`;
    let s = base;
    const sep = base.endsWith('_') ? '' : '_';
    for (let i = 2; !this.isFree(s); i++) s = `${base}${sep}${i}`;
    this.taken.add(s.toLowerCase());
    const name = s as CppName;
    this.byKey.set(key, name);
    return name;
  }

  /** The name of `key` if one was allocated. */
  peek(key: string): CppName | undefined {
    return this.byKey.get(key);
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
