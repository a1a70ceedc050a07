/*
 * What a user's TypeScript sees of the public API under `strict` (type-checked by project-api.test.ts, never run):
 * a converted project's methods are typed, and a backend declares typed options and methods. Each @ts-expect-error
 * proves a mistake is caught (tsc fails when the expected error does not occur).
 */
import { convert, type Backend, type NamedTensors, type OpenedProject, type OptionSpec, type Project } from 'firmflow';

export async function userCode(): Promise<number> {
  const project: Project = await convert('model.onnx', { backend: 'Vitis', reuseFactor: 4, precision: 'fixed<16,6>' });
  const build = await project.compile();
  const seconds: number = build.ms / 1000;
  const cached: boolean = build.cached;
  const inputs: NamedTensors = { x: { shape: [2, 16], data: new Float32Array(32) } };
  const y: NamedTensors = await project.predict(inputs, { threads: 2 });
  const first: ArrayLike<number> = y['y'].data;
  const emulated = await project.emulate(inputs);
  const trace = await project.trace(inputs);
  const worst: number = Math.max(...trace.layers.map((l) => l.maxAbsError));
  const estimate = await project.estimate();
  const latency: number | undefined = estimate.total.latencyCycles;
  const report: string = (await project.report()).text;
  const canEmulate: boolean = project.provides('emulate');
  // @ts-expect-error a misspelt method is not callable (unknown), not silently any
  await project.compil();
  // @ts-expect-error predict takes tensors by input name
  await project.predict([1, 2, 3]);
  // @ts-expect-error provides() knows the method names
  project.provides('simulate');
  void [seconds, cached, first, emulated, worst, latency, report, canEmulate];
  return y['y'].shape[0];
}

/** A third-party backend: typed options and typed project methods. */
export const toyOptions: OptionSpec[] = [
  { name: 'tiles', type: 'positiveInt', default: 8, description: 'compute tiles', flag: '--tiles <n>', perLayer: true },
  { name: 'mode', type: 'enum', choices: ['fast', 'small'], description: 'goal' },
];

// @ts-expect-error an option type the schema does not know
export const badOption: OptionSpec = { name: 'x', type: 'float', description: '' };

export const toyBackend: Omit<Backend, 'name'> = {
  flows: ['optimize'],
  options: toyOptions,
  extendProject(project) {
    project.emulate = (inputs) => inputs;
    project.estimate = () => ({ total: { latencyCycles: 10, resources: { tiles: 4 } } });
    // @ts-expect-error an estimate needs its totals
    project.estimate = () => ({ layers: [] });
  },
  async openProject(dir): Promise<OpenedProject> {
    return {
      dir, name: 'toy', backend: 'Toy',
      compile: async () => ({ cached: true, ms: 0 }),
      predict: async (inputs) => inputs,
      graph: undefined,
    };
  },
};
