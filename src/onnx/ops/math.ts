/** ONNX handlers: math ops (to be filled). */
export function registerMathHandlers(): void {}
