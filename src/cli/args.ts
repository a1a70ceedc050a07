import { InvalidArgumentError } from 'commander';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Objects merged key by key (later wins for anything that is not an object on both sides). */
function merge(a: Obj, b: Obj): Obj {
  const out: Obj = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(out[k]) && isObj(v) ? merge(out[k] as Obj, v) : v;
  return out;
}

/**
 * `-O key=value`, collected into an object; values that parse as JSON (numbers, booleans, objects ...) are typed.
 * A dotted key nests, so `-O aie.mode=bf16 -O aie.batch=4` gives { aie: { mode: 'bf16', batch: 4 } } and
 * `-O Model.ReuseFactor=4` sets one key of the Vitis Model section; repeated options merge. A name that itself holds
 * dots (a node called '/layers.0/Gemm') goes in a JSON value: -O 'aie={"layers":{"/layers.0/Gemm":{"casNum":2}}}'.
 */
export function backendOption(v: string, prev: Obj = {}): Obj {
  const m = /^([A-Za-z][\w-]*(?:\.[^.=]+)*)=(.*)$/s.exec(v);
  if (!m) throw new InvalidArgumentError(`expected key=value (key: a name, or a dotted path such as section.key), got '${v}'.`);
  let value: unknown = m[2];
  try {
    value = JSON.parse(m[2]);
  } catch {
    // a bare string
  }
  const path = m[1].split('.');
  let nested: unknown = value;
  for (let i = path.length - 1; i >= 1; i--) nested = { [path[i]]: nested };
  const key = path[0];
  const before = prev[key];
  if (path.length > 1 && before !== undefined && !isObj(before)) {
    throw new InvalidArgumentError(`'${m[1]}' sets a key inside '${key}', which an earlier -O set to ${JSON.stringify(before)}.`);
  }
  return { ...prev, [key]: isObj(before) && isObj(nested) ? merge(before, nested) : nested };
}
