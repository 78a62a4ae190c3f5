type NumberArray = Float64Array | Uint32Array | Uint8Array;

/** A copy of `array` with room for at least `size` entries (doubling, so n appends cost O(n)); new entries are 0. */
export function grown<T extends NumberArray>(array: T, size: number): T {
  if (size <= array.length) return array;
  let capacity = Math.max(array.length, 1024);
  while (capacity < size) capacity *= 2;
  const copy = new (array.constructor as new (length: number) => T)(capacity);
  copy.set(array);
  return copy;
}
