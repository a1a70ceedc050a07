// aie.mode 'bf16' on a quantized model is refused by name (issue 12, item 1): the bf16 kernels do not apply the
// model's quantizers, whose clipping and rounding are part of its meaning. 'auto' keeps choosing int for it.
import { describe, expect, it } from 'vitest';
import { convert, type FirmflowError } from 'firmflow';
import { JET_TAGGER, floatMlp, qdqMlp } from './host-models.js';

describe("aie.mode 'bf16' on a model that carries quantizers", () => {
  it('is refused naming the first quantizer, pointing to int / auto', async () => {
    const e = await convert(qdqMlp(JET_TAGGER), { backend: 'AIE', aie: { mode: 'bf16' } } as never).then(() => undefined, (err: unknown) => err as FirmflowError);
    expect(e?.code).toBe('aie.unsupported');
    expect(e!.message).toMatch(/in bf16 mode:\n {2}- tensor 'x' \(fixed<8,4>\): aie.mode 'bf16' would drop the model's quantizers .* use aie.mode 'int' or 'auto'/);
    expect((e!.details as unknown[]).length).toBe(1);
  });

  it("'auto' picks int for it, and bf16 for its float twin", async () => {
    const q = await convert(qdqMlp(JET_TAGGER), { backend: 'AIE' } as never);
    expect((q as unknown as { report(): { mode: string } }).report().mode).toBe('int');
    const f = await convert(floatMlp(JET_TAGGER), { backend: 'AIE', aie: { mode: 'bf16' } } as never);
    expect((f as unknown as { report(): { mode: string } }).report().mode).toBe('bf16');
  });
});
