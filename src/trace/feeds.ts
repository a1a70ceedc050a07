/*
 * A backend's inputs as users give them: one bare array (samples back to back) for a one-input model, or a record
 * by input name whose values are bare arrays or the JSON layout ({ shape, data, dtype }) of the shared test models.
 */

/** One input's values: bare (samples back to back) or in the JSON layout. */
export type TensorFeed = { shape?: number[]; data: ArrayLike<number>; dtype?: string } | ArrayLike<number>;
/** Inputs by name, or one input's bare values. */
export type FeedInputs = Record<string, TensorFeed> | ArrayLike<number>;

/** Inputs given by name (not one bare array). */
export function isNamedInputs(inputs: FeedInputs): inputs is Record<string, TensorFeed> {
  return !ArrayBuffer.isView(inputs) && !Array.isArray(inputs) && typeof (inputs as { length?: unknown }).length !== 'number';
}

/** The values (and declared shape) of one feed, whichever layout it has. */
export function feedData(feed: TensorFeed): { data: ArrayLike<number>; shape?: number[] } {
  if (ArrayBuffer.isView(feed) || Array.isArray(feed) || typeof (feed as { data?: unknown }).data !== 'object') return { data: feed as ArrayLike<number> };
  const f = feed as { shape?: number[]; data: ArrayLike<number> };
  return f.shape ? { data: f.data, shape: f.shape } : { data: f.data };
}

/**
 * The feed of one input, looked up under each of `keys` in turn (its name, then e.g. its tensor); bare inputs feed
 * the input only when it is the model's only one (`only`). Undefined when nothing feeds it.
 */
export function feedOf(inputs: FeedInputs, keys: readonly string[], only: boolean): { data: ArrayLike<number>; shape?: number[] } | undefined {
  if (!inputs || typeof inputs !== 'object') return undefined;
  if (!isNamedInputs(inputs)) return only ? { data: inputs } : undefined;
  for (const k of keys) if (inputs[k] !== undefined) return feedData(inputs[k]);
  return undefined;
}
