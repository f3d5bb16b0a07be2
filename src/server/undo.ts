/**
 * Rollback of a multi-step create: each step that succeeded pushes its
 * undo; on failure they run newest first under their own time limit, never
 * the request's signal (which also fires when the call ends), as
 * containerd's `DeferContext` and CRI-O's `ResourceCleaner` do.
 *
 * @packageDocumentation
 */
import type { Logger } from "../logger.js";

/** The message of anything thrown. */
export function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Undo steps, run newest first; never throws. */
export class Undo {
  readonly #steps: Array<{ what: string; fn: (signal: AbortSignal) => Promise<unknown> }> = [];

  /** Records the undo of a step that succeeded. */
  push(what: string, fn: (signal: AbortSignal) => Promise<unknown>): void {
    this.#steps.push({ what, fn });
  }

  /** The steps recorded, oldest first (for tests and logs). */
  get steps(): readonly string[] {
    return this.#steps.map((s) => s.what);
  }

  /** Runs the steps newest first, each failure logged; then forgets them. */
  async run(timeoutMs: number, log: Logger, ctx: object): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (const s of this.#steps.reverse()) {
      try {
        await s.fn(signal);
      } catch (err) {
        log.warn({ ...ctx, step: s.what, err: errMessage(err) }, "rollback step failed");
      }
    }
    this.#steps.length = 0;
  }
}

/** Runs `fn` over `items`, at most `limit` at a time; rejects with the first failure once all have settled. */
export async function mapLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      try {
        await fn(items[i] as T);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}

/** Splits a list for a Stream* RPC: each message holds at least one item. */
export function chunks<T>(items: readonly T[], size = 500): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Settles all, then throws the first failure in order (steps that must all succeed but do not depend on each other). */
export async function allOrFirstFailure<T extends readonly unknown[]>(ps: { [K in keyof T]: Promise<T[K]> }): Promise<T> {
  const res = await Promise.allSettled(ps);
  for (const r of res) if (r.status === "rejected") throw r.reason;
  return res.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
}
