import { cppType, type FixedType, type IRNode, type Tensor } from 'firmflow';

/*
 * C++ names of the generated project. Every name is a fixed prefix plus a sanitized, unique IR id (tensor.id,
 * node.id), so no model name reaches the code unsanitized and no two generated names can collide.
 */
export const actName = (t: Tensor): string => `act_${t.id}`;
export const typeName = (t: Tensor): string => `tp_${t.id}`;
export const beatName = (t: Tensor): string => `beat_${t.id}`;
export const constName = (t: Tensor): string => `w_${t.id}`;
export const configName = (n: IRNode): string => `cfg_${n.id}`;
/** Constants that belong to a node rather than a tensor (tables, scalar factors). */
export const nodeConstName = (n: IRNode, what: string): string => `k_${n.id}_${what}`;
export const nodeTypeName = (n: IRNode, what: string): string => `tp_${n.id}_${what}`;

export function fixedCpp(t: FixedType): string {
  return cppType(t);
}

/** The integer type whose codes a synthesis weight header stores (same width and signedness). */
export function codeCpp(t: FixedType): string {
  return `${t.signed ? 'ap_int' : 'ap_uint'}<${t.width}>`;
}
