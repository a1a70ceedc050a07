/** IR op definitions: quant ops (to be filled). */
export function registerQuantOps(): void {}
