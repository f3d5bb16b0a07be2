/**
 * The name registrar: a one-to-one map between object names (see
 * `makeSandboxName` and `makeContainerName`) and the IDs (keys) that hold
 * them, as containerd's `internal/registrar` and CRI-O's name index keep it.
 *
 * The rules are in the TSDoc of {@link Registrar}.
 *
 * @packageDocumentation
 */
import { CrikitError, invalidArgument } from "../errors.js";

/**
 * Name-to-key reservations, one-to-one.
 *
 * A create request reserves the name first and releases it if creation
 * fails, so that a second request for the same pod or container attempt is
 * refused while the first is still in flight.
 *
 * ## Rules
 *
 * - One name maps to one key and one key to one name, in both directions.
 * - {@link Registrar.reserve} of a name already held by the same key is a
 *   no-op (a retried request does not fail against itself).
 * - Reserving a name held by another key throws `AlreadyExists`:
 *   `name "x" is reserved for "id"`, with `details` `{ name, holder }`.
 * - Reserving a second name for a key that holds one also throws
 *   `AlreadyExists`: `key "id" already holds name "x"`, with `details`
 *   `{ key, name, holder }` (`holder` is the name the key holds). containerd
 *   refuses this case too; silently moving the key would leave the first
 *   name's object without a reservation, and two names for one ID would make
 *   `releaseByKey` ambiguous.
 * - `release` and `releaseByKey` are idempotent.
 * - Nothing depends on the clock, so a wrong wall clock after a reboot cannot
 *   make a name look reserved (containerd issue 10842).
 *
 * @example
 * ```ts
 * const names = new Registrar();
 * names.reserve(makeSandboxName(meta), id);
 * try { await create(); } catch (e) { names.release(makeSandboxName(meta)); throw e; }
 * ```
 * @public
 */
export class Registrar {
  readonly #keyOf = new Map<string, string>();
  readonly #nameOf = new Map<string, string>();

  /** The number of names reserved. */
  get size(): number {
    return this.#keyOf.size;
  }

  /**
   * Reserves `name` for `key`.
   *
   * @throws `InvalidArgument` if `name` or `key` is empty; `AlreadyExists` if
   *   `name` is held by another key or `key` holds another name.
   */
  reserve(name: string, key: string): void {
    if (typeof name !== "string" || name === "") throw invalidArgument("name to reserve is empty", "name");
    if (typeof key !== "string" || key === "") throw invalidArgument(`key to reserve name ${JSON.stringify(name)} for is empty`, "key");
    const holder = this.#keyOf.get(name);
    if (holder !== undefined) {
      if (holder === key) return;
      throw new CrikitError("AlreadyExists", `name ${JSON.stringify(name)} is reserved for ${JSON.stringify(holder)}`, {
        details: { name, holder },
      });
    }
    const held = this.#nameOf.get(key);
    if (held !== undefined) {
      throw new CrikitError("AlreadyExists", `key ${JSON.stringify(key)} already holds name ${JSON.stringify(held)}`, {
        details: { key, name, holder: held },
      });
    }
    this.#keyOf.set(name, key);
    this.#nameOf.set(key, name);
  }

  /** Releases `name`, whoever holds it. Idempotent. @returns whether it was reserved. */
  release(name: string): boolean {
    const key = this.#keyOf.get(name);
    if (key === undefined) return false;
    this.#keyOf.delete(name);
    this.#nameOf.delete(key);
    return true;
  }

  /** Releases the name `key` holds, if any. Idempotent. @returns whether it held one. */
  releaseByKey(key: string): boolean {
    const name = this.#nameOf.get(key);
    if (name === undefined) return false;
    this.#nameOf.delete(key);
    this.#keyOf.delete(name);
    return true;
  }

  /** The key holding `name`, or `undefined`. */
  get(name: string): string | undefined {
    return this.#keyOf.get(name);
  }

  /** The name `key` holds, or `undefined`. */
  getName(key: string): string | undefined {
    return this.#nameOf.get(key);
  }
}
