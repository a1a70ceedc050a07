/** IR op definitions created by the shared passes (Dense, ScaleShift ...; to be filled). */
export function registerLoweredOps(): void {}
