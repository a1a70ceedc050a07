import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The core knows no backend: the options of the Vitis/Vivado and AIE backends (and their flags) are declared by the
 * backends (Backend.options), never named in src/. This test reads the code of src/ (comments removed, so prose may
 * still mention an example) and fails on any of the names below, outside the few allowed uses listed with their
 * reasons.
 */

const SRC = join(__dirname, '..', '..', 'src');

/** Names of backend options and flags, each with the backend that owns it. */
const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'reuseFactor (Vitis)', pattern: /\b[rR]euseFactor\b/g },
  { name: '--reuse-factor / --reuse (Vitis flags)', pattern: /--reuse\b/g },
  { name: 'strategy (Vitis)', pattern: /\bstrategy\b/g },
  { name: 'clockPeriod (Vitis)', pattern: /\bclockPeriod\b/g },
  { name: '--clock-period / --clock (Vitis flags)', pattern: /--clock\b/g },
  { name: "'part' (Vitis)", pattern: /['"`]part['"`]/g },
  { name: '--part (Vitis flag)', pattern: /--part\b/g },
  { name: 'io types (Vitis)', pattern: /['"`](?:io|io_parallel|io_stream|parallel|stream)['"`]/g },
  { name: '--io (Vitis flag)', pattern: /--io\b/g },
  { name: 'Vitis-only options', pattern: /\b(?:reuseFactorPolicy|fifoDepth|tableSize|parallelization|testbench)\b/g },
  { name: "meta['hls'] (Vitis lowering annotations)", pattern: /meta\[['"`]hls['"`]\]/g },
  { name: 'aie.* (AIE)', pattern: /\baie\.[A-Za-z]/g },
  { name: "'aie' (AIE)", pattern: /['"`]aie['"`]/g },
  { name: 'tileBudget (AIE)', pattern: /\btileBudget\b/g },
  { name: "'device' (AIE)", pattern: /['"`]device['"`]/g },
];

/**
 * Allowed uses, per file and name, with at most `count` hits. Each is a known debt or not an option at all; a new use
 * anywhere else fails the test.
 */
const ALLOWED: { file: string; name: string; count: number; reason: string }[] = [
  // The bench report (schema docs/schema/bench-report.v1.json) shows the figures of firmflow's estimate contract:
  // the target a design was estimated for and each layer's reuse factor are results of the estimate, not options.
  { file: 'bench/types.ts', name: 'reuseFactor (Vitis)', count: 1, reason: 'bench report schema v1: LayerEstimate.reuseFactor' },
  { file: 'bench/run.ts', name: 'reuseFactor (Vitis)', count: 2, reason: "estimate contract: a layer's reuse factor, read into the bench report" },
  { file: 'bench/run.ts', name: 'clockPeriod (Vitis)', count: 1, reason: "estimate contract: the estimate's clock, read into the bench report" },
  { file: 'bench/run.ts', name: "'part' (Vitis)", count: 1, reason: "estimate contract: the estimate's target, read into the bench report" },
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The code of a file without its comments (string contents stay: a message naming an option is a use). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
}

describe('the core knows no backend options', () => {
  it(`src/ names none of: ${FORBIDDEN.map((f) => f.name).join('; ')}`, () => {
    const hits: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const rel = relative(SRC, file).split('\\').join('/');
      const lines = code(readFileSync(file, 'utf8')).split('\n');
      for (const f of FORBIDDEN) {
        const found: string[] = [];
        lines.forEach((line, i) => {
          for (const m of line.matchAll(f.pattern)) found.push(`src/${rel}:${i + 1}: ${m[0]} (${f.name}) in: ${line.trim().slice(0, 120)}`);
        });
        const allowed = ALLOWED.find((a) => a.file === rel && a.name === f.name);
        if (found.length > (allowed?.count ?? 0)) hits.push(...found);
      }
    }
    expect(hits, `backend option names in the core (declare them in the backend's option schema, Backend.options, instead):\n${hits.join('\n')}`).toEqual([]);
  });

  it('the allowed uses are still there (an allowance that is no longer needed is removed)', () => {
    for (const a of ALLOWED) {
      const f = FORBIDDEN.find((x) => x.name === a.name)!;
      const n = [...code(readFileSync(join(SRC, a.file), 'utf8')).matchAll(f.pattern)].length;
      expect({ file: a.file, name: a.name, n: n > 0 }).toEqual({ file: a.file, name: a.name, n: true });
    }
  });
});
