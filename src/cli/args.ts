import { InvalidArgumentError } from 'commander';

/** `-O key=value`, collected into an object; values that parse as JSON (numbers, booleans ...) are typed. */
export function backendOption(v: string, prev: Record<string, unknown> = {}): Record<string, unknown> {
  const m = /^([A-Za-z][\w.-]*)=(.*)$/s.exec(v);
  if (!m) throw new InvalidArgumentError(`expected key=value, got '${v}'.`);
  let value: unknown = m[2];
  try {
    value = JSON.parse(m[2]);
  } catch {
    // a bare string
  }
  return { ...prev, [m[1]]: value };
}
