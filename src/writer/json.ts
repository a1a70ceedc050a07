/**
 * A plain, JSON-ready copy of a value for manifests such as firmflow.json: object keys sorted (so converting twice
 * gives identical files), typed arrays as arrays, non-finite numbers as strings, functions and undefined dropped.
 */
export function jsonSafe(v: unknown): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (Array.isArray(v)) return v.map(jsonSafe);
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (typeof x === 'function' || x === undefined) continue;
      o[k] = jsonSafe(x);
    }
    return o;
  }
  return undefined;
}
