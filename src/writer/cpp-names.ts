import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The naming authority backends' writers build their generated C++ on (issue 15). IR ids are unique per kind
 * only (a tensor `sm_exp_table` and a Softmax node `sm` once both gave `tp_sm_exp_table`); a pool hands out every
 * identifier of every kind of one project from one set, which also holds the C++ keywords, the identifiers of the
 * code the project includes (a backend passes its templates) and reserved spellings (a leading `_`, `__` anywhere,
 * the backend's library prefixes). A wanted name that is taken gets `_2`, `_3` ...; one with a reserved prefix
 * gets `u_` in front. Uniqueness is case-insensitive, since names also become file names.
 */
declare const cppNameBrand: unique symbol;
/** An identifier handed out by a `CppNamePool` (the only way to make one). */
export type CppName = string & { readonly [cppNameBrand]: true };

export const CPP_KEYWORDS: readonly string[] = (
  'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class compl concept const ' +
  'consteval constexpr constinit const_cast continue co_await co_return co_yield decltype default delete do double dynamic_cast else ' +
  'enum explicit export extern false float for friend goto if inline int long mutable namespace new noexcept not not_eq nullptr ' +
  'operator or or_eq private protected public register reinterpret_cast requires return short signed sizeof static static_assert ' +
  'static_cast struct switch template this thread_local throw true try typedef typeid typename union unsigned using virtual void ' +
  'volatile wchar_t while xor xor_eq final override import module'
).split(' ');

/** Globals and macros of the C and C++ libraries generated sources include. */
export const CPP_LIBRARY_GLOBALS: readonly string[] = (
  'main std NULL EOF assert errno stdin stdout stderr abs labs div exit abort atexit quick_exit getenv system malloc calloc realloc ' +
  'free printf fprintf sprintf snprintf puts putchar getchar fopen fclose fread fwrite fflush fseek ftell remove rename tmpfile ' +
  'memcpy memmove memset memcmp strlen strcmp strncmp strcpy strncpy strcat strchr strstr strtol strtod atoi atol atof rand srand ' +
  'time clock difftime signal raise sqrt exp log log2 log10 pow sin cos tan floor ceil round trunc fabs fmod min max isnan isinf ' +
  'signbit index select open close read write y0 y1 yn j0 j1 jn gamma linux unix i386 offsetof size_t int8_t int16_t int32_t ' +
  'int64_t uint8_t uint16_t uint32_t uint64_t'
).split(' ');

/** Identifiers in the C++ code of the files in `dirs` (`.h`, `.hpp`, `.cc`, `.cpp`, also as `.ejs` templates), comments, strings and template tags left out. */
export function cppIdentifiersIn(dirs: string[]): string[] {
  const out = new Set<string>();
  for (const dir of dirs) {
    let files: string[];
    try { files = readdirSync(dir).sort(); } catch { continue; }
    for (const f of files.filter((n) => /\.(h|hpp|cc|cpp)(\.ejs)?$/.test(n))) {
      const code = readFileSync(join(dir, f), 'utf8')
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

/** Makes any text an identifier of letters, digits and single underscores, not starting with a digit or `_`. */
function identifierOf(text: string): string {
  let s = text.replace(/[^A-Za-z0-9_]/g, '_').replace(/_+/g, '_').replace(/^_+/, '');
  if (s === '') s = 'v';
  if (/^[0-9]/.test(s)) s = `v_${s}`;
  return s;
}

/** Every identifier of one generated project. Names are memoized by what they name (`key`): asking twice is one name. */
export class CppNamePool {
  private readonly taken = new Set<string>();
  private readonly byKey = new Map<string, CppName>();
  private readonly reserved: Set<string>;

  /** `reserved`: words no name may be (any case); `reservedPrefix`: spellings no name may start with. */
  constructor(reserved: Iterable<string>, private readonly reservedPrefix?: RegExp) {
    this.reserved = new Set([...CPP_KEYWORDS, ...reserved].map((w) => w.toLowerCase()));
  }

  private isFree(s: string): boolean {
    const low = s.toLowerCase();
    return !this.taken.has(low) && !this.reserved.has(low) && !(this.reservedPrefix?.test(s) ?? false) && !s.includes('__');
  }

  /** The name of `key`, allocated on first request close to `wanted`. */
  name(key: string, wanted: string): CppName {
    const have = this.byKey.get(key);
    if (have) return have;
    let base = identifierOf(wanted);
    if (this.reservedPrefix?.test(base)) base = `u_${base}`;
    const sep = base.endsWith('_') ? '' : '_';
    let s = base;
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
}
