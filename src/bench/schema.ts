/*
 * A validator for the subset of JSON Schema (draft 2020-12) that firmflow's report schemas use: type, enum, const,
 * properties, required, additionalProperties, items, prefixItems, minItems, maxItems, minimum, maximum,
 * exclusiveMinimum, pattern, minLength, anyOf, oneOf, $ref to "#/$defs/...", plus annotations (title, description,
 * $id, $schema, $comment, examples, format, default). A keyword outside the subset is an error rather than silently
 * ignored, so a schema cannot claim more than is checked.
 */

export type JsonSchema = boolean | { [keyword: string]: unknown };

const ANNOTATIONS = new Set(['$schema', '$id', '$comment', 'title', 'description', 'examples', 'format', 'default', '$defs']);
const ASSERTIONS = new Set([
  'type', 'enum', 'const', 'properties', 'required', 'additionalProperties', 'items', 'prefixItems', 'minItems', 'maxItems',
  'minimum', 'maximum', 'exclusiveMinimum', 'pattern', 'minLength', 'anyOf', 'oneOf', '$ref',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Checks `value` against `schema`; returns the errors as "path: message" (empty when valid). */
export function validate(schema: JsonSchema, value: unknown): string[] {
  const root = schema;
  const errors: string[] = [];
  const resolveRef = (ref: string): JsonSchema => {
    const m = /^#\/\$defs\/([^/]+)$/.exec(ref);
    const defs = typeof root === 'object' ? (root['$defs'] as Record<string, JsonSchema> | undefined) : undefined;
    if (!m || !defs || !(m[1] in defs)) throw new Error(`schema: unsupported or unknown $ref '${ref}'`);
    return defs[m[1]];
  };
  const check = (s: JsonSchema, v: unknown, path: string, out: string[]): void => {
    if (s === true) return;
    if (s === false) { out.push(`${path}: no value is allowed here`); return; }
    for (const k of Object.keys(s)) if (!ANNOTATIONS.has(k) && !ASSERTIONS.has(k)) throw new Error(`schema: keyword '${k}' at ${path} is not supported by this validator`);
    if (s['$ref'] !== undefined) check(resolveRef(String(s['$ref'])), v, path, out);
    if (s['type'] !== undefined) {
      const types = Array.isArray(s['type']) ? (s['type'] as string[]) : [s['type'] as string];
      if (!types.some((t) => matchesType(v, t))) { out.push(`${path}: expected ${types.join(' or ')}, got ${typeOf(v)}`); return; }
    }
    if (s['enum'] !== undefined && !(s['enum'] as unknown[]).some((e) => equal(e, v))) out.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(s['enum'])}`);
    if (s['const'] !== undefined && !equal(s['const'], v)) out.push(`${path}: expected ${JSON.stringify(s['const'])}, got ${JSON.stringify(v)}`);
    if (typeof v === 'number') {
      if (typeof s['minimum'] === 'number' && v < s['minimum']) out.push(`${path}: ${v} is less than ${s['minimum']}`);
      if (typeof s['maximum'] === 'number' && v > s['maximum']) out.push(`${path}: ${v} is more than ${s['maximum']}`);
      if (typeof s['exclusiveMinimum'] === 'number' && v <= s['exclusiveMinimum']) out.push(`${path}: ${v} is not more than ${s['exclusiveMinimum']}`);
    }
    if (typeof v === 'string') {
      if (typeof s['pattern'] === 'string' && !new RegExp(s['pattern'], 'u').test(v)) out.push(`${path}: '${v}' does not match /${s['pattern']}/`);
      if (typeof s['minLength'] === 'number' && [...v].length < s['minLength']) out.push(`${path}: shorter than ${s['minLength']} characters`);
    }
    if (Array.isArray(v)) {
      if (typeof s['minItems'] === 'number' && v.length < s['minItems']) out.push(`${path}: fewer than ${s['minItems']} items`);
      if (typeof s['maxItems'] === 'number' && v.length > s['maxItems']) out.push(`${path}: more than ${s['maxItems']} items`);
      const prefix = (s['prefixItems'] as JsonSchema[] | undefined) ?? [];
      prefix.forEach((ps, i) => { if (i < v.length) check(ps, v[i], `${path}[${i}]`, out); });
      if (s['items'] !== undefined) for (let i = prefix.length; i < v.length; i++) check(s['items'] as JsonSchema, v[i], `${path}[${i}]`, out);
    }
    if (typeOf(v) === 'object') {
      const o = v as Record<string, unknown>;
      const props = (s['properties'] as Record<string, JsonSchema> | undefined) ?? {};
      for (const r of (s['required'] as string[] | undefined) ?? []) if (!(r in o)) out.push(`${path}: missing required property '${r}'`);
      for (const [k, val] of Object.entries(o)) {
        if (k in props) check(props[k], val, `${path}.${k}`, out);
        else if (s['additionalProperties'] !== undefined) {
          if (s['additionalProperties'] === false) out.push(`${path}: unexpected property '${k}'`);
          else check(s['additionalProperties'] as JsonSchema, val, `${path}.${k}`, out);
        }
      }
    }
    for (const key of ['anyOf', 'oneOf'] as const) {
      const list = s[key] as JsonSchema[] | undefined;
      if (!list) continue;
      const results = list.map((sub) => { const e: string[] = []; check(sub, v, path, e); return e; });
      const ok = results.filter((e) => e.length === 0).length;
      if (key === 'anyOf' && ok === 0) out.push(`${path}: matches none of anyOf (${results.map((e) => e[0]).join('; ')})`);
      if (key === 'oneOf' && ok !== 1) out.push(`${path}: matches ${ok} of oneOf's ${list.length} alternatives, not exactly one${ok === 0 ? ` (${results.map((e) => e[0]).join('; ')})` : ''}`);
    }
  };
  check(schema, value, '$', errors);
  return errors;
}
