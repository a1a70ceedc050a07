/** IR op definitions: shape ops (to be filled). */
export function registerShapeOps(): void {}
