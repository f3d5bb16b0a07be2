/**
 * Fan-out of container lifecycle events to any number of subscribers, for the
 * CRI `GetContainerEvents` stream (the kubelet's evented PLEG).
 *
 * Each subscriber gets every event published after it subscribed, in publish
 * order, through its own bounded queue. A subscriber that falls more than
 * `maxQueue` events behind is cut off with a `ResourceExhausted` error rather
 * than growing without bound or silently losing events: the kubelet reacts to
 * a broken stream by relisting and subscribing again, which is correct, while
 * a silently lossy stream would leave it with stale pod state.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";

/** Options of {@link EventBroadcaster}. @public */
export interface EventBroadcasterOptions {
  /**
   * Events one subscriber may have pending before it is cut off.
   * @defaultValue 1024
   */
  maxQueue?: number;
}

interface Subscriber<T> {
  queue: T[];
  wake: (() => void) | undefined;
  failed: CrikitError | undefined;
  closed: boolean;
}

/**
 * A broadcast queue: `publish` never blocks; each `subscribe` iterates the
 * events published after it, until its signal aborts or the broadcaster
 * closes.
 *
 * @public
 */
export class EventBroadcaster<T> {
  readonly #subs = new Set<Subscriber<T>>();
  readonly #maxQueue: number;
  #closed = false;

  constructor(options: EventBroadcasterOptions = {}) {
    this.#maxQueue = options.maxQueue ?? 1024;
  }

  /** The number of live subscribers. */
  get subscribers(): number {
    return this.#subs.size;
  }

  /** Delivers `event` to every live subscriber. */
  publish(event: T): void {
    for (const s of this.#subs) {
      if (s.queue.length >= this.#maxQueue) {
        s.failed = new CrikitError(
          "ResourceExhausted",
          `event subscriber fell more than ${this.#maxQueue} events behind; subscribe again and relist`,
        );
        this.#subs.delete(s);
      } else {
        s.queue.push(event);
      }
      s.wake?.();
    }
  }

  /**
   * Iterates the events published from now on. The iteration ends when
   * `signal` aborts or {@link EventBroadcaster.close} is called, and throws if
   * the subscriber was cut off for falling behind.
   */
  async *subscribe(signal?: AbortSignal): AsyncGenerator<T, void, undefined> {
    const s: Subscriber<T> = { queue: [], wake: undefined, failed: undefined, closed: this.#closed };
    if (s.closed || signal?.aborted) return;
    this.#subs.add(s);
    const onAbort = (): void => {
      s.closed = true;
      s.wake?.();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      for (;;) {
        while (s.queue.length > 0) {
          if (s.closed) return;
          yield s.queue.shift() as T;
        }
        if (s.failed) throw s.failed;
        if (s.closed) return;
        await new Promise<void>((resolve) => {
          s.wake = resolve;
        });
        s.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
      this.#subs.delete(s);
    }
  }

  /** Ends every subscription; later subscriptions end at once. Idempotent. */
  close(): void {
    this.#closed = true;
    for (const s of this.#subs) {
      s.closed = true;
      s.wake?.();
    }
    this.#subs.clear();
  }
}
