import { describe, expect, it } from 'vitest';
import { validate, type JsonSchema } from '../../src/bench/schema.js';
import { SCHEMA } from './helpers.js';

/* The subset validator (docs/schema/bench-report.v1.json is checked with it) and the schema file itself. */

describe('JSON Schema subset validator', () => {
  const s: JsonSchema = {
    type: 'object', required: ['a', 'b'], additionalProperties: false,
    properties: {
      a: { type: 'integer', minimum: 0, maximum: 10 },
      b: { type: 'array', minItems: 1, items: { $ref: '#/$defs/name' } },
      c: { anyOf: [{ type: 'null' }, { enum: ['x', 'y'] }] },
      d: { oneOf: [{ type: 'number', minimum: 5 }, { type: 'number', maximum: 7 }] },
      e: { const: 'v1' },
      f: { type: 'object', additionalProperties: { type: 'boolean' } },
      g: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'number' }], maxItems: 2 },
    },
    $defs: { name: { type: 'string', pattern: '^[a-z]+$', minLength: 2 } },
  };

  it('accepts a valid value', () => {
    expect(validate(s, { a: 3, b: ['ab', 'cd'], c: null, d: 2, e: 'v1', f: { x: true }, g: ['s', 1] })).toEqual([]);
  });

  it('reports each violation with its path', () => {
    expect(validate(s, { a: 2.5, b: [] })).toEqual(['$.a: expected integer, got number', '$.b: fewer than 1 items']);
    expect(validate(s, { a: 11, b: ['A'] })).toEqual(["$.a: 11 is more than 10", "$.b[0]: 'A' does not match /^[a-z]+$/", '$.b[0]: shorter than 2 characters']);
    expect(validate(s, { b: ['ab'], z: 1 })).toEqual(["$: missing required property 'a'", "$: unexpected property 'z'"]);
    expect(validate(s, { a: 1, b: ['ab'], c: 'q' })).toHaveLength(1);
    expect(validate(s, { a: 1, b: ['ab'], d: 6 })[0]).toMatch(/matches 2 of oneOf/);
    expect(validate(s, { a: 1, b: ['ab'], e: 'v2' })).toEqual(['$.e: expected "v1", got "v2"']);
    expect(validate(s, { a: 1, b: ['ab'], f: { x: 1 } })).toEqual(['$.f.x: expected boolean, got integer']);
    expect(validate(s, { a: 1, b: ['ab'], g: [1, 's', 3] })).toEqual(['$.g: more than 2 items', '$.g[0]: expected string, got integer', '$.g[1]: expected number, got string']);
  });

  it('refuses keywords it does not implement, and unknown $refs', () => {
    expect(() => validate({ type: 'string', maxLength: 3 }, 'abcd')).toThrow(/keyword 'maxLength'/);
    expect(() => validate({ $ref: '#/$defs/none' }, 1)).toThrow(/unknown \$ref/);
  });
});

describe('docs/schema/bench-report.v1.json', () => {
  it('is a draft 2020-12 schema with a versioned id that this validator fully understands', () => {
    const s = SCHEMA as Record<string, unknown>;
    expect(s['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s['$id']).toMatch(/bench-report\.v1\.json$/);
    // Every subschema uses only keywords the validator implements (it throws on others when it meets them).
    const walk = (x: unknown): void => {
      if (typeof x !== 'object' || x === null || Array.isArray(x)) return;
      expect(() => validate(x as JsonSchema, Symbol('probe'))).not.toThrow(/keyword/);
      for (const [k, v] of Object.entries(x)) {
        if (k === 'properties' || k === '$defs') Object.values(v as object).forEach(walk);
        else if (k === 'anyOf' || k === 'oneOf' || k === 'prefixItems') (v as unknown[]).forEach(walk);
        else if (k === 'items' || k === 'additionalProperties') walk(v);
      }
    };
    walk(SCHEMA);
    expect(validate(SCHEMA, {}).length).toBeGreaterThan(5);
    expect((s['required'] as string[])).toContain('schemaVersion');
  });
});
