/** ONNX handlers: quant ops (to be filled). */
export function registerQuantHandlers(): void {}
