#!/usr/bin/env node
/*
 * Hashes of every file the writers emit, for every bundled and shared model on Vitis, Vivado and AIE, under a
 * few option variants. A refactor that must not change the generated projects is checked by recording the hashes
 * before it and comparing after:  node tools/emitted-hashes.mjs > before.json; ...; node tools/emitted-hashes.mjs --diff before.json
 * Runs the built package (npm run build first). A conversion that is refused records its error code instead.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const { convert } = await import(join(repo, 'dist/src/index.js'));

const VARIANTS = {
  Vitis: { default: {}, stream: { io: 'stream' }, resource: { strategy: 'resource', reuseFactor: 4, reuseFactorPolicy: 'nearest' } },
  Vivado: { default: {}, stream: { io: 'stream' }, resource: { strategy: 'resource', reuseFactor: 4, reuseFactorPolicy: 'nearest' } },
  AIE: { default: {}, bf16: { config: { aie: { mode: 'bf16' } } }, tiles: { config: { aie: { tileBudget: 4 } } } },
};

function models() {
  const out = [];
  for (const d of [join(repo, 'models'), join(repo, '../shared/models')]) {
    if (!existsSync(d)) { process.stderr.write(`(no ${d}: its models are not hashed)\n`); continue; }
    for (const f of readdirSync(d).sort()) if (f.endsWith('.onnx')) out.push(join(d, f));
  }
  return out;
}

function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** The file's bytes with the checkout's absolute path replaced by a placeholder. */
function masked(bytes) {
  const text = bytes.toString('latin1');
  return text.includes(repo) ? Buffer.from(text.split(repo).join('<repo>'), 'latin1') : bytes;
}

async function hashAll() {
  const result = {};
  const scratch = mkdtempSync(join(tmpdir(), 'ff-hash-'));
  try {
    for (const model of models()) {
      // Keys and hashes do not depend on where the checkout is: the shared folder is named as such, and the checkout's
      // absolute path inside a file (AIE's firmflow.json names its device file) is masked before hashing.
      const name = model.startsWith(repo) ? relative(repo, model) : `shared/models/${relative(join(repo, '../shared/models'), model)}`;
      for (const [backend, variants] of Object.entries(VARIANTS)) {
        for (const [vname, opts] of Object.entries(variants)) {
          const key = `${name} ${backend} ${vname}`;
          const out = join(scratch, `${backend}-${vname}-${Object.keys(result).length}`);
          try {
            const p = await convert(model, { backend, projectName: 'proj', ...opts });
            await p.write(out);
            const files = {};
            for (const f of listFiles(out)) files[relative(out, f)] = createHash('sha256').update(masked(readFileSync(f))).digest('hex').slice(0, 16);
            result[key] = files;
          } catch (e) {
            result[key] = { error: e?.code ?? String(e?.message ?? e).slice(0, 200) };
          }
          rmSync(out, { recursive: true, force: true });
        }
      }
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  return result;
}

const now = await hashAll();
const diffIdx = process.argv.indexOf('--diff');
if (diffIdx < 0) {
  process.stdout.write(JSON.stringify(now, null, 1) + '\n');
} else {
  const before = JSON.parse(readFileSync(process.argv[diffIdx + 1], 'utf8'));
  let changed = 0;
  for (const key of new Set([...Object.keys(before), ...Object.keys(now)])) {
    const a = before[key] ?? {}, b = now[key] ?? {};
    for (const f of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[f] !== b[f]) { changed++; console.log(`${key}: ${f}: ${a[f] ?? '(absent)'} -> ${b[f] ?? '(absent)'}`); }
    }
  }
  console.log(changed ? `${changed} file(s) differ` : `all ${Object.keys(now).length} conversions emit the same files`);
  process.exitCode = changed ? 1 : 0;
}
