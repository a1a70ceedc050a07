/** IR op definitions: math ops (to be filled). */
export function registerMathOps(): void {}
