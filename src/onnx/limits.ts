import { FirmflowError } from '../errors.js';

/**
 * Budgets that bound the work one model can cause: a hostile or broken file must be refused quickly, not make
 * firmflow allocate gigabytes or read for minutes. Each can be raised through LoadOptions.limits or an
 * environment variable (for the CLI), e.g. FIRMFLOW_MAX_FOLD_ELEMENTS=100000000.
 */
export interface TensorLimits {
  /** Largest element count of any one declared tensor. */
  maxElements: number;
  /** Largest size in bytes of any one stored tensor (initializer, attribute, external data). */
  maxTensorBytes: number;
  /** Largest element count a constant-folded node may produce (Expand, Tile, ConstantOfShape, Range ...). */
  maxFoldElements: number;
  /** Largest memory a constant-folded node may take (float64 evaluation plus the stored result). */
  maxFoldBytes: number;
  /** Largest model file read (protobuf itself cannot hold more than 2 GiB). */
  maxModelBytes: number;
}

export const DEFAULT_LIMITS: TensorLimits = {
  maxElements: 2 ** 31 - 1,
  maxTensorBytes: 2 ** 31 - 1,
  maxFoldElements: 2 ** 24,
  maxFoldBytes: 2 ** 28,
  maxModelBytes: 2 ** 31 - 1,
};

/** Environment variable of each limit. */
export const LIMIT_ENV: Record<keyof TensorLimits, string> = {
  maxElements: 'FIRMFLOW_MAX_ELEMENTS',
  maxTensorBytes: 'FIRMFLOW_MAX_TENSOR_BYTES',
  maxFoldElements: 'FIRMFLOW_MAX_FOLD_ELEMENTS',
  maxFoldBytes: 'FIRMFLOW_MAX_FOLD_BYTES',
  maxModelBytes: 'FIRMFLOW_MAX_MODEL_BYTES',
};

/** Defaults, overridden by the environment, overridden by `given`. A malformed value is an error naming it. */
export function resolveLimits(given: Partial<TensorLimits> = {}, env: NodeJS.ProcessEnv = process.env): TensorLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(LIMIT_ENV) as (keyof TensorLimits)[]) {
    const raw = env[LIMIT_ENV[key]];
    if (raw !== undefined && raw !== '') {
      const v = Number(raw);
      if (!Number.isSafeInteger(v) || v < 1) throw new FirmflowError('config.limit', `${LIMIT_ENV[key]}=${raw} is not a positive integer`);
      out[key] = v;
    }
    const g = given[key];
    if (g !== undefined) {
      if (!Number.isSafeInteger(g) || g < 1) throw new FirmflowError('config.limit', `limit ${key}=${g} is not a positive integer`);
      out[key] = g;
    }
  }
  return out;
}

/**
 * Why folding `elements` values (stored `storedBytes` each) exceeds the budget, or undefined when it fits.
 * Evaluation runs in float64, so each element costs 8 bytes more than its storage.
 */
export function foldOverBudget(elements: number, storedBytes: number, limits: TensorLimits): string | undefined {
  if (!(elements <= limits.maxFoldElements)) {
    return `${elements} elements, more than the constant-folding budget of ${limits.maxFoldElements} (${LIMIT_ENV.maxFoldElements})`;
  }
  const bytes = elements * (8 + storedBytes);
  if (!(bytes <= limits.maxFoldBytes)) return `${bytes} bytes, more than the constant-folding budget of ${limits.maxFoldBytes} bytes (${LIMIT_ENV.maxFoldBytes})`;
  return undefined;
}
