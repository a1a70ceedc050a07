import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unet } from '../../../bench/vitis-models.js';
import { convert, isFirmflowError } from 'firmflow';
import { built, gaussian, useFullVitis } from './build.js';

/*
 * The CNN: 256x256x3 input, 39 convolutions, skip connections, concatenation, nearest upsampling
 * (bench/vitis-models.ts). In io_stream it converts, compiles and its C simulation equals the emulator bit for bit
 * on a sample (speed is measured by bench/vitis.ts, not here); in io_parallel it is refused before anything is
 * written.
 */
const model = unet();

describe('U-Net 256x256x3 (issue 4 acceptance)', () => {
  it('has the issue\'s shape', () => {
    expect(model.convs).toBeGreaterThanOrEqual(38);
  });

  it('io_stream: converts, compiles, and the C simulation equals the emulator', async () => {
    const t0 = performance.now();
    const p = await built(model.bytes, 'unet-stream', { io: 'stream' });
    console.log(`[unet] convert + write + compile: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const x = gaussian(3 * 256 * 256, 3);
    const sim = await p.predict(x);
    const emu = p.emulate(x);
    expect(sim['mask'].shape).toEqual([1, 2, 256, 256]);
    expect(emu['mask'].shape).toEqual([1, 2, 256, 256]);
    expect(Array.from(emu['mask'].data)).toEqual(Array.from(sim['mask'].data));
  }, 300_000);

  it('io_parallel: refused by the 4096-element limit before writing', async () => {
    await useFullVitis();
    const out = join(mkdtempSync(join(tmpdir(), 'firmflow-unet-parallel-')), 'prj');
    let err: unknown;
    try {
      const p = await convert(model.bytes, { backend: 'Vitis', io: 'parallel' });
      await p.write(out);
    } catch (e) { err = e; }
    expect(isFirmflowError(err)).toBe(true);
    expect((err as Error).message).toMatch(/4096/);
    expect((err as Error).message).toMatch(/io_stream/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(join(out, '..'))).toEqual([]);
  });
});
