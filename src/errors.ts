/**
 * Errors that reach users. A `FirmflowError` is bad input (model, config, arguments): the CLI prints its
 * message without a stack trace and exits 1. Anything else escaping is an internal error (exit 2).
 */
export class FirmflowError extends Error {
  /** Short machine-readable category, e.g. `onnx.decode`, `onnx.unsupported`, `config.key`. */
  readonly code: string;
  /** Optional structured details (listed nodes, offending keys ...), printed by `--json`. */
  readonly details?: unknown;
  constructor(code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'FirmflowError';
    this.code = code;
    this.details = details;
  }
}

export function isFirmflowError(e: unknown): e is FirmflowError {
  return e instanceof Error && (e as FirmflowError).name === 'FirmflowError' && typeof (e as FirmflowError).code === 'string';
}

/** Describes a node for messages: `node 'conv_1' (Conv)` or `node #3 (Conv, domain qonnx...)`. */
export function describeNode(name: string | undefined, op: string, domain?: string, index?: number): string {
  const who = name ? `'${name}'` : `#${index ?? '?'}`;
  const dom = domain && domain !== '' && domain !== 'ai.onnx' ? `, domain ${domain}` : '';
  return `node ${who} (${op}${dom})`;
}
