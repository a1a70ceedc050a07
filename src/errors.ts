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
  const who = name ? quoted(name) : `#${index ?? '?'}`;
  const dom = domain && domain !== '' && domain !== 'ai.onnx' ? `, domain ${escapeText(domain)}` : '';
  return `node ${who} (${escapeText(op)}${dom})`;
}

/**
 * JavaScript's own error types (a property read of undefined, an invalid array length ...) mean a bug in firmflow
 * or a plugin, never bad input: catch sites that turn errors into FirmflowErrors must let these through, so the
 * CLI reports them as internal errors (exit 2) instead of dressing JavaScript's text up as a problem of the model.
 */
export function isProgrammingError(e: unknown): boolean {
  return e instanceof TypeError || e instanceof RangeError || e instanceof ReferenceError || e instanceof SyntaxError;
}

/**
 * Text from a model (names, strings) made safe for a terminal and for one-line messages: control characters,
 * including newlines and ESC, are shown as `\x1b`-style escapes, and a backslash as `\\` so escapes stay unambiguous.
 */
export function escapeText(s: string): string {
  return s.replace(/[\\\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => (c === '\\' ? '\\\\' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

/** A model-provided name in quotes, escaped (see escapeText). */
export function quoted(name: unknown): string {
  return `'${escapeText(String(name))}'`;
}

/**
 * An error message as the CLI prints it: control characters other than line breaks escaped, and no blank lines,
 * so a message is always one paragraph whatever strings it carries.
 */
export function terminalMessage(message: string): string {
  return escapeControls(message).split('\n').filter((l) => l.trim() !== '').join('\n');
}

/** Text for a terminal: every control character but the line break shown as a `\x1b`-style escape. */
export function escapeControls(text: string): string {
  return text.replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** The first line of an error's message (for "internal error: <cause>"). */
export function firstLine(e: unknown): string {
  const text = e instanceof Error ? `${e.name && e.name !== 'Error' ? `${e.name}: ` : ''}${e.message}` : String(e);
  return terminalMessage(text).split('\n')[0] ?? '';
}
