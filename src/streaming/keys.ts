/**
 * Keys of pair operations are compared by a stable encoding: strings and numbers
 * by value, anything else by its JSON. The same encoding picks a key's partition
 * in hash shuffles, so a key lands in the same partition in every run.
 */
export type Pair<K, V> = [K, V];

export function keyOf(k: unknown): string {
  switch (typeof k) {
    case "string":
      return "s" + k;
    case "number":
      return "n" + String(k);
    case "bigint":
      return "b" + k.toString();
    case "boolean":
      return k ? "t" : "f";
    case "undefined":
      return "u";
    default:
      return k === null ? "z" : "j" + JSON.stringify(k);
  }
}

/** FNV-1a over the key encoding, non-negative. */
export function hashKey(encoded: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < encoded.length; i++) {
    h ^= encoded.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function partitionOf(k: unknown, numPartitions: number): number {
  return numPartitions <= 1 ? 0 : hashKey(keyOf(k)) % numPartitions;
}

/** Reduces each [key, value] of `items` into `m` by key (a key's first pair is stored as it is). */
export function reduceByKeyInto<K, V>(m: Map<string, [K, V]>, items: Iterable<[K, V]>, fn: (a: V, b: V) => V): void {
  for (const [k, v] of items) {
    const ek = keyOf(k);
    const cur = m.get(ek);
    if (cur) cur[1] = fn(cur[1], v);
    else m.set(ek, [k, v]);
  }
}
