/* The writer's error: names the node (and its op) whose layer cannot be emitted. */
import { FirmflowError, type IRNode } from 'firmflow';

export function failWrite(node: IRNode | undefined, msg: string): never {
  throw new FirmflowError('aie.write', node ? `node '${node.name}' (${node.op}): ${msg}` : msg, node ? { node: node.name } : undefined);
}
