/**
 * Model names become C++ identifiers and file names. A name from a model is never trusted: it is mapped to
 * [A-Za-z_][A-Za-z0-9_]*, kept clear of C++ keywords and of the reserved spellings (leading `_` + capital,
 * any `__`), and made unique within its namespace. The original name is kept elsewhere for messages.
 */
const CPP_RESERVED = new Set(
  (
    'alignas alignof and and_eq asm auto bitand bitor bool break case catch char char8_t char16_t char32_t class ' +
    'compl concept const consteval constexpr constinit const_cast continue co_await co_return co_yield decltype ' +
    'default delete do double dynamic_cast else enum explicit export extern false float for friend goto if inline ' +
    'int long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected public register ' +
    'reinterpret_cast requires return short signed sizeof static static_assert static_cast struct switch template ' +
    'this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile wchar_t ' +
    'while xor xor_eq main NULL EOF assert errno stdin stdout stderr hls ap_int ap_uint ap_fixed ap_ufixed nnet ' +
    'aie adf std input output'
  ).split(' '),
);

export const MAX_IDENTIFIER_LENGTH = 64;

/** Maps any string to a valid, non-reserved C++ identifier (not yet unique). */
export function sanitizeIdentifier(name: string, fallback = 'v'): string {
  let s = name.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^A-Za-z0-9_]/g, '_');
  s = s.replace(/_+/g, '_').replace(/^_+/, '').replace(/_+$/, '');
  if (s === '') s = fallback;
  if (/^[0-9]/.test(s)) s = `${fallback}_${s}`;
  if (s.length > MAX_IDENTIFIER_LENGTH) s = s.slice(0, MAX_IDENTIFIER_LENGTH).replace(/_+$/, '');
  if (CPP_RESERVED.has(s)) s = `${s}_`;
  return s;
}

/** Hands out unique sanitized identifiers within one namespace (case-insensitively, so they are safe as file names). */
export class IdentifierPool {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }

  /** A fresh identifier derived from `name`. */
  claim(name: string, fallback = 'v'): string {
    const base = sanitizeIdentifier(name, fallback);
    let id = base;
    for (let i = 2; this.used.has(id.toLowerCase()); i++) id = `${base}_${i}`;
    this.used.add(id.toLowerCase());
    return id;
  }

  release(id: string): void {
    this.used.delete(id.toLowerCase());
  }

  has(id: string): boolean {
    return this.used.has(id.toLowerCase());
  }
}
