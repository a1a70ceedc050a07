import { createRequire } from 'node:module';

/*
 * Third-party modules that only some commands need, loaded on first use: `firmflow --version` or `predict` on a
 * written project must not pay for parsing yaml, protobufjs or EJS at start-up (issue 16). All three are CommonJS,
 * so a synchronous require keeps their call sites synchronous.
 */

const require = createRequire(import.meta.url);

let yamlModule: typeof import('yaml') | undefined;
let protobufModule: typeof import('protobufjs') | undefined;
let ejsModule: typeof import('ejs') | undefined;

export function yaml(): typeof import('yaml') {
  return (yamlModule ??= require('yaml') as typeof import('yaml'));
}

export function protobufjs(): typeof import('protobufjs') {
  return (protobufModule ??= require('protobufjs') as typeof import('protobufjs'));
}

export function ejs(): typeof import('ejs') {
  return (ejsModule ??= require('ejs') as typeof import('ejs'));
}

/** yaml's `parse`, loading yaml on the first call. */
export const parseYaml: typeof import('yaml').parse = ((...args: Parameters<typeof import('yaml').parse>) => yaml().parse(...args)) as typeof import('yaml').parse;

/** The parts of yaml's default export firmflow uses, loading yaml on the first call. */
export const YAML = {
  parse: parseYaml,
  stringify: ((...args: Parameters<typeof import('yaml').stringify>) => yaml().stringify(...args)) as typeof import('yaml').stringify,
};
