/* C++ spellings shared by every kernel's emit: element types, rounding and saturation, fp32 literals. */
import type { AieDataType, AieLayer } from '../lowered.js';

export const CPP_TYPE: Record<AieDataType | 'int32', string> = { int8: 'int8', int16: 'int16', bf16: 'bfloat16', int32: 'int32' };

/** A C++ float literal of an fp32 value: its shortest decimal, which the compiler rounds back to the same float. */
export const fp32Literal = (x: number): string => { const t = String(Math.fround(x)); return /[.eE]/.test(t) ? `${t}f` : `${t}.0f`; };

export const cppBool = (b: boolean): string => (b ? 'true' : 'false');

/** The epilogue constants every kernel config ends with: srs rounding and saturation, a narrow output's clamp. */
export function epilogueConfig(layer: Pick<AieLayer, 'rounding' | 'saturate' | 'clamp'>): string[] {
  return [
    `static constexpr aie::rounding_mode ROUNDING = aie::rounding_mode::${layer.rounding};`,
    `static constexpr aie::saturation_mode SATURATION = aie::saturation_mode::${layer.saturate ? 'saturate' : 'none'};`,
    // A narrow output quantizer's own code range (legalize/context.ts codeType), clamped after srs and ReLU.
    `static constexpr bool CLAMP = ${cppBool(!!layer.clamp)};`,
    `static constexpr int CLAMP_MIN = ${layer.clamp?.min ?? 0}, CLAMP_MAX = ${layer.clamp?.max ?? 0};`,
  ];
}
