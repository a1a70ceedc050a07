import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { isFirmflowError } from 'firmflow';
import { bankCapacities, builtinDevices, loadDevice, plioBytesPerCycle, tilesOf, validateDevice } from '../../src/devices.js';
import { errorOf } from './helpers.js';


describe('built-in devices', () => {
  test('AIE-ML (VEK280) figures', () => {
    const d = loadDevice('VEK280');
    expect(d.name).toBe('AIE-ML');
    expect([d.grid.columns, d.grid.rows, tilesOf(d)]).toEqual([38, 8, 304]);
    expect(d.clockMHz).toBe(1250);
    expect(d.macsPerCycle).toMatchObject({ int8xint8: 256, int16xint16: 64, bf16xbf16: 128 });
    expect(d.dataMemory).toEqual({ banks: 4, bankBytes: 16384, reservedBytes: 2048 });
    expect(bankCapacities(d)).toEqual([16384, 16384, 16384, 14336]);
    expect(d.programMemoryBytes).toBe(16384);
    expect(d.memoryTile).toMatchObject({ bytes: 524288, rows: 1, dma: { s2mm: 6, mm2s: 6 } });
    expect(d.plio).toMatchObject({ widthBits: 128, plClockMHz: 312.5 });
    expect(d.microtiles.int8xint8![0]).toEqual([4, 8, 8]);
    // 128 bit at 312.5 MHz = 5 GB/s = 4 bytes per 1.25 GHz cycle.
    expect(plioBytesPerCycle(d)).toBe(4);
  });

  test('AIE-MLv2 (VEK385) figures and aliases', () => {
    for (const name of ['AIE-MLv2', 'vek385', 'aie_mlv2']) {
      const d = loadDevice(name);
      expect(d.name).toBe('AIE-MLv2');
      expect([d.grid.columns, d.grid.rows]).toEqual([36, 4]);
      expect(d.macsPerCycle.int8xint8).toBe(512);
      expect(d.microtiles.int8xint8![0]).toEqual([8, 8, 8]);
    }
    expect(builtinDevices().map((d) => d.name)).toEqual(['AIE-ML', 'AIE-MLv2']);
  });

  test('unknown names list the built-ins', () => {
    const e = errorOf(() => loadDevice('VCK190'));
    expect(isFirmflowError(e)).toBe(true);
    expect(e.message).toMatch(/unknown AIE device 'VCK190'.*AIE-ML \(VEK280.*AIE-MLv2 \(VEK385/);
  });
});

describe('user device files', () => {
  const base = JSON.parse(JSON.stringify(loadDevice('AIE-ML'))) as Record<string, unknown>;
  delete base['file'];

  test('a file with a smaller grid loads and is used', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-aie-dev-'));
    const file = join(dir, 'half.json');
    writeFileSync(file, JSON.stringify({ ...base, name: 'half-vek280', aliases: [], grid: { columns: 19, rows: 8 } }));
    const d = loadDevice(file);
    expect(d.name).toBe('half-vek280');
    expect(tilesOf(d)).toBe(152);
    expect(d.file).toBe(file);
    expect(loadDevice('half.json', dir).grid.columns).toBe(19);
  });

  test.each([
    [{ grid: { columns: 0, rows: 8 } }, "field 'grid.columns' must be a positive integer, got 0"],
    [{ clockMHz: 'fast' }, "field 'clockMHz' must be a positive number"],
    [{ dataMemory: { banks: 4, bankBytes: 1024, reservedBytes: 4096 } }, "field 'dataMemory.reservedBytes' (4096) must be smaller than one bank (1024)"],
    [{ microtiles: { int8xint8: [[4, 8]] } }, "field 'microtiles.int8xint8[0]' must be [m, k, n]"],
    [{ macsPerCycle: { int4xint4: 1024, int8xint8: 256 } }, "field 'macsPerCycle.int4xint4' is not an operand pair"],
    [{ memoryTile: { bytes: 524288, rows: 1, dma: { s2mm: 6 } } }, "field 'memoryTile.dma.mm2s' must be a positive integer"],
    [{ name: '' }, "field 'name' must be a non-empty string"],
  ])('validation names the field (%j)', (patch, msg) => {
    const e = errorOf(() => validateDevice({ ...base, ...patch }, 'device file bad.json'));
    expect(isFirmflowError(e)).toBe(true);
    expect(e.message).toContain('device file bad.json');
    expect(e.message).toContain(msg);
  });

  test('missing and malformed files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ff-aie-dev-'));
    expect(errorOf(() => loadDevice(join(dir, 'nope.json'))).message).toMatch(/device file .*nope\.json does not exist/);
    writeFileSync(join(dir, 'broken.json'), '{ "name": ');
    expect(errorOf(() => loadDevice(join(dir, 'broken.json'))).message).toMatch(/is not valid JSON/);
  });
});
