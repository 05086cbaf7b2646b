/**
 * The shape of the generated message schemas (src/protocol/messages/*.ts).
 * A version range is [min, max] inclusive; max 0x7fff means "and later".
 */
export type VersionRange = readonly [number, number];

export type PrimitiveType =
  | "int8"
  | "int16"
  | "int32"
  | "int64"
  | "uint16"
  | "uint32"
  | "float64"
  | "string"
  | "bytes"
  | "bool"
  | "uuid"
  | "records";

export interface FieldSpec {
  readonly name: string;
  readonly type: PrimitiveType | "array" | "struct";
  /** element type of an array: a primitive, or "struct" with `fields` */
  readonly elem?: PrimitiveType | "struct";
  readonly versions: VersionRange | null;
  readonly nullable?: VersionRange | null;
  readonly tagged?: VersionRange | null;
  readonly tag?: number;
  /** overrides the message's flexible versions for this field (request header ClientId) */
  readonly flexible?: VersionRange | null;
  readonly default?: unknown;
  readonly fields?: readonly FieldSpec[];
}

export interface MessageSpec {
  readonly name: string;
  readonly apiKey?: number;
  readonly valid: VersionRange | null;
  readonly flexible: VersionRange | null;
  readonly fields: readonly FieldSpec[];
}

export function inRange(r: VersionRange | null | undefined, v: number): boolean {
  return !!r && v >= r[0] && v <= r[1];
}
