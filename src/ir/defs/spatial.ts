/** IR op definitions: spatial ops (to be filled). */
export function registerSpatialOps(): void {}
