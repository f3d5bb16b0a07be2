/**
 * Deep freezing of stored records, so that a snapshot handed out by a store
 * cannot be changed by its reader. Also used by the CRI service for the list
 * elements it hands the transport (frozen elements have their encoding
 * kept). Not part of the public API.
 *
 * @packageDocumentation
 */

/**
 * Freezes `value` and every object reachable from it, and returns it.
 * Typed arrays and DataViews are left alone (freezing a non-empty typed array
 * throws), and an object that is already frozen is not walked again, so
 * freezing a status that reuses most of the previous one is cheap.
 *
 * @internal
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value) || ArrayBuffer.isView(value)) return value;
  if (value instanceof ArrayBuffer || value instanceof Map || value instanceof Set) {
    // Maps and Sets cannot be made immutable by freezing; they are left as they are.
    return value;
  }
  Object.freeze(value);
  for (const key of Reflect.ownKeys(value)) {
    deepFreeze((value as Record<PropertyKey, unknown>)[key]);
  }
  return value;
}
