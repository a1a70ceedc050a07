/** ONNX handlers: shape ops (to be filled). */
export function registerShapeHandlers(): void {}
