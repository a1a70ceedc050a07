/*
 * The design space `firmflow sweep` explores for the Vitis / Vivado backends: the default precision x the reuse
 * factor, measured by the latency and resource estimate (backends/vitis/estimate) of every point.
 */
import { type BackendSweep, checkPrecision, ESTIMATE_FIGURES, estimateFigures, FirmflowError, positiveAxisValue, type SweepAxis, type SweepValue } from 'firmflow';

function precisionValue(text: string): SweepValue {
  const why = checkPrecision(text);
  if (why) throw new FirmflowError('sweep.axis', `axis 'precision': ${why}`);
  return text.trim();
}

export const VITIS_SWEEP: BackendSweep = {
  // No model needed: the axes and their values do not depend on it (base values are the options as given).
  axes({ options }): SweepAxis[] {
    return [
      {
        name: 'precision',
        label: 'precision',
        description: "the model's default precision (Model.Precision), e.g. fixed<16,6>",
        // No defaults: which precisions are worth trying depends on the model's ranges, so they are asked for.
        defaults: [],
        ...(typeof options['precision'] === 'string' ? { base: options['precision'] } : {}),
        parse: precisionValue,
        apply: (o, v) => ({ ...o, precision: String(v) }),
        changesInputTypes: true,
      },
      {
        name: 'reuseFactor',
        label: 'reuse',
        description: 'the reuse factor of every layer (multiplications per multiplier)',
        defaults: [],
        ...(typeof options['reuseFactor'] === 'number' ? { base: options['reuseFactor'] } : {}),
        parse: (text) => positiveAxisValue('reuseFactor', text),
        apply: (o, v) => ({ ...o, reuseFactor: Number(v) }),
      },
    ];
  },
  // The figures of the estimate contract: latency and DSP/LUT are the Pareto objectives, beside the error.
  figures: ESTIMATE_FIGURES,
  measure: estimateFigures,
};
