/*
 * Vitis HLS / Vivado HLS synthesis reports (`<prj>/solution1/syn/report/<top>_csynth.xml`, Vitis also `csynth.xml`).
 * Tolerant of the versions' differences: DSP48E / DSP48E1 / DSP48E2 / DSP, BRAM_18K / BRAM, latency values 'undef'
 * or '?', missing Average-case or Interval fields, per-module data in a ModuleInformation section (Vitis) or in
 * sibling `<module>_csynth.xml` files (Vivado HLS).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FirmflowError } from 'firmflow';
import type { CsynthReport, ReportLatency, ReportModule, Resources } from '../estimate/types.js';
import { children, find, parseXml, textOf, type XmlElement } from './xml.js';

/** A number from a report field ('12', '4.292', '60.000 ns', 'undef', '?', '-'), or undefined. */
export function reportNumber(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const m = /^\s*~?\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)/.exec(s);
  return m ? Number(m[1]) : undefined;
}

const RESOURCE_NAMES: Record<keyof Resources, string[]> = {
  bram18k: ['BRAM_18K', 'BRAM18K', 'BRAM'],
  dsp: ['DSP', 'DSP48E', 'DSP48E1', 'DSP48E2', 'DSP58'],
  ff: ['FF'],
  lut: ['LUT'],
  uram: ['URAM'],
};

export function resourcesOf(el: XmlElement | undefined): Partial<Resources> {
  const out: Partial<Resources> = {};
  if (!el) return out;
  for (const [k, names] of Object.entries(RESOURCE_NAMES) as [keyof Resources, string[]][]) {
    const v = reportNumber(textOf(el, names));
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function latencyOf(perf: XmlElement | undefined): ReportLatency {
  const s = find(perf, 'SummaryOfOverallLatency', 1);
  const out: ReportLatency = {};
  if (!s) return out;
  const put = (k: keyof ReportLatency, names: string[]) => {
    const v = reportNumber(textOf(s, names));
    if (v !== undefined) out[k] = v;
  };
  put('best', ['Best-caseLatency', 'BestCaseLatency', 'Latency-min']);
  put('average', ['Average-caseLatency', 'AverageCaseLatency', 'Latency-avg']);
  put('worst', ['Worst-caseLatency', 'WorstCaseLatency', 'Latency-max']);
  put('intervalMin', ['Interval-min', 'IntervalMin']);
  put('intervalMax', ['Interval-max', 'IntervalMax']);
  return out;
}

/** Latency, resources of a `<profile>` or a `<Module>` element. */
function summaryOf(el: XmlElement): { latency: ReportLatency; resources: Partial<Resources>; available: Partial<Resources> } {
  const perf = find(el, 'PerformanceEstimates', 1);
  const area = find(el, 'AreaEstimates', 1);
  return { latency: latencyOf(perf), resources: resourcesOf(find(area, 'Resources', 1)), available: resourcesOf(find(area, 'AvailableResources', 1)) };
}

/** Module and instance names of the RTL hierarchy (Vivado HLS and Vitis HLS both write RTLDesignHierarchy). */
function hierarchy(profile: XmlElement): { module: string; instance?: string }[] {
  const out: { module: string; instance?: string }[] = [];
  const walk = (el: XmlElement) => {
    for (const inst of children(find(el, 'InstancesList', 1), 'Instance')) {
      const module = textOf(inst, 'ModuleName');
      if (module) out.push({ module, instance: textOf(inst, 'InstName') });
      walk(inst);
    }
  };
  const top = find(find(profile, 'RTLDesignHierarchy', 1), 'TopModule', 1);
  if (top) walk(top);
  return out;
}

export interface CsynthParseOptions {
  /** Text of a module's own report (`<module>_csynth.xml` beside the top report), when it exists. */
  moduleReport?: (module: string) => string | undefined;
}

/** Parses the text of a csynth XML report; `file` names it in errors. */
export function parseCsynthXml(text: string, file: string, opts: CsynthParseOptions = {}): CsynthReport {
  const profile = parseXml(text, file);
  if (profile.name.toLowerCase() !== 'profile') {
    throw new FirmflowError('report.csynth', `${file}: not an HLS synthesis report (root element <${profile.name}>, expected <profile>)`, { file });
  }
  const user = find(profile, 'UserAssignments', 1);
  const perf = find(profile, 'PerformanceEstimates', 1);
  const modulesInfo = find(profile, 'ModuleInformation', 1);
  let top = summaryOf(profile);
  const topName = textOf(user, ['TopModelName', 'TopModuleName']);
  const modules: ReportModule[] = [];
  if (modulesInfo) {
    // Vitis HLS csynth.xml: every module (top included) with its own estimates
    for (const m of children(modulesInfo, 'Module')) {
      const name = textOf(m, 'Name');
      if (!name) continue;
      const s = summaryOf(m);
      if (name === topName && top.latency.worst === undefined) top = { ...s, available: top.available };
      else if (name !== topName) modules.push({ name, latency: s.latency, resources: s.resources });
    }
  }
  if (!perf && !modulesInfo) {
    throw new FirmflowError('report.csynth', `${file}: no PerformanceEstimates or ModuleInformation section: not a complete synthesis report`, { file });
  }
  const known = new Set(modules.map((m) => m.name));
  for (const h of hierarchy(profile)) {
    const existing = modules.find((m) => m.name === h.module);
    if (existing) { existing.instance ??= h.instance; continue; }
    if (known.has(h.module)) continue;
    known.add(h.module);
    const sub = opts.moduleReport?.(h.module);
    if (sub === undefined) { modules.push({ name: h.module, instance: h.instance, latency: {}, resources: {} }); continue; }
    const s = summaryOf(parseXml(sub, `${h.module}_csynth.xml`));
    modules.push({ name: h.module, instance: h.instance, latency: s.latency, resources: s.resources });
  }
  if (top.latency.worst === undefined && top.latency.best === undefined && Object.keys(top.resources).length === 0) {
    throw new FirmflowError('report.csynth', `${file}: the report has neither latency nor resource estimates of the top function`, { file });
  }
  const version = textOf(find(profile, 'ReportVersion', 1), 'Version');
  const timing = find(perf, 'SummaryOfTimingAnalysis', 1);
  const flow = textOf(user, 'FlowTarget');
  return {
    file,
    ...(version ? { version } : {}),
    ...(toolOf(flow, version) ? { tool: toolOf(flow, version) } : {}),
    ...(topName ? { top: topName } : {}),
    ...(textOf(user, 'Part') ? { part: textOf(user, 'Part') } : {}),
    ...(reportNumber(textOf(user, 'TargetClockPeriod')) !== undefined ? { targetClock: reportNumber(textOf(user, 'TargetClockPeriod')) } : {}),
    ...(reportNumber(textOf(user, 'ClockUncertainty')) !== undefined ? { clockUncertainty: reportNumber(textOf(user, 'ClockUncertainty')) } : {}),
    ...(reportNumber(textOf(timing, 'EstimatedClockPeriod')) !== undefined ? { estimatedClock: reportNumber(textOf(timing, 'EstimatedClockPeriod')) } : {}),
    latency: top.latency,
    resources: top.resources,
    available: top.available,
    modules,
  };
}

/** Vitis HLS writes FlowTarget and is version 2020 or later; Vivado HLS is up to 2020.1. */
function toolOf(flow: string | undefined, version: string | undefined): string | undefined {
  if (flow) return 'vitis_hls';
  const year = reportNumber(version);
  if (year === undefined) return undefined;
  return year >= 2020.2 ? 'vitis_hls' : 'vivado_hls';
}

/** Reads a csynth XML report and the per-module reports beside it. */
export function readCsynthReport(file: string): CsynthReport {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new FirmflowError('report.csynth', `${file}: cannot read the synthesis report (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { file });
  }
  const dir = dirname(file);
  return parseCsynthXml(text, file, {
    moduleReport: (m) => {
      const f = join(dir, `${m}_csynth.xml`);
      return existsSync(f) && f !== file ? readFileSync(f, 'utf8') : undefined;
    },
  });
}
