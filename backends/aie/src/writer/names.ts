import { join } from 'node:path';
import { CPP_LIBRARY_GLOBALS, type CppName, CppNamePool, cppIdentifiersIn } from 'firmflow';

export type { CppName };

/*
 * The naming authority of a generated AIE project (on the core's CppNamePool): kernels, their config structs and
 * constructor arrays, PLIO and GMIO ports, shared buffers and runtime-parameter ports all come from one pool per
 * project, so names built from node ids, tensor ids and planned kernel ids cannot meet (a Dense `k` and a Dense
 * `w` once declared `k_w_c0_p0` twice: the weights array of one and the kernel of the other). The pool reserves
 * the identifiers of the kernel templates and the host model headers, C library globals and the `adf`/`aie`
 * prefixes.
 */
const RESERVED_PREFIX = /^(adf|aie|xaie)_/i;

let reservedCache: { key: string; words: string[] } | undefined;
function reservedWords(templates: string, hostInclude: string): string[] {
  const key = `${templates}\n${hostInclude}`;
  if (reservedCache?.key !== key) {
    const dirs = [...['kernels', 'project', 'harness'].map((d) => join(templates, d)), hostInclude, join(hostInclude, 'aie_api'), join(hostInclude, 'firmflow_host')];
    reservedCache = { key, words: [...CPP_LIBRARY_GLOBALS, ...cppIdentifiersIn(dirs)] };
  }
  return reservedCache.words;
}

/** Every identifier of one generated AIE project. */
export class AieNames {
  private readonly pool: CppNamePool;

  constructor(templatesDir: string, hostIncludeDir: string) {
    this.pool = new CppNamePool(reservedWords(templatesDir, hostIncludeDir), RESERVED_PREFIX);
  }

  /** A layer's config struct. */
  config(nodeId: string): CppName { return this.pool.name(`config:${nodeId}`, `${nodeId}_cfg`); }
  /** A constructor array of a layer (`lut`, `gamma`, `w_c0_p1` ...). */
  array(nodeId: string, what: string): CppName { return this.pool.name(`array:${nodeId}:${what}`, `${nodeId}_${what}`); }
  /** The graph member of a planned kernel. */
  kernel(kernelId: string): CppName { return this.pool.name(`kernel:${kernelId}`, `k_${kernelId}`); }
  /** The kernel's name if it was declared (for the plan's buffer locations). */
  declaredKernel(kernelId: string): CppName | undefined { return this.pool.peek(`kernel:${kernelId}`); }
  /** The PLIO port of graph input or output `index`. */
  plio(direction: 'in' | 'out', index: number, tensorId: string): CppName { return this.pool.name(`plio:${direction}:${index}`, `${direction}_${tensorId}`); }
  /** The memory-tile buffer of a tensor. */
  shared(tensorId: string): CppName { return this.pool.name(`shared:${tensorId}`, `mt_${tensorId}`); }
  /** The memory-tile weight store of a kernel (the memory plan's name for it is `planned`). */
  store(planned: string): CppName { return this.pool.name(`store:${planned}`, planned); }
  /** A GMIO input of the memory plan. */
  gmio(planned: string): CppName { return this.pool.name(`gmio:${planned}`, planned); }
  /** A runtime-parameter port of a kernel. */
  rtp(kernel: string, what: string): CppName { return this.pool.name(`rtp:${kernel}:${what}`, `${kernel}_${what}`); }
}
