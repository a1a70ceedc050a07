/** ONNX handlers: spatial ops (to be filled). */
export function registerSpatialHandlers(): void {}
