/**
 * Notices container exits without polling every container.
 *
 * The rules are in the TSDoc of {@link ExitMonitor}.
 *
 * @packageDocumentation
 */
import { watch, type FSWatcher } from "node:fs";
import { mkdir, readdir } from "node:fs/promises";

/** Options of {@link ExitMonitor}. @public */
export interface ExitMonitorOptions {
  /** Exit directories to watch (one per OCI runtime handler). */
  dirs: readonly string[];
  /** Called for each exit file seen (possibly more than once per file). */
  onExit: (id: string, dir: string) => void | Promise<void>;
  /**
   * Interval of the full re-check, in ms.
   * @defaultValue 2000
   */
  recheckMs?: number;
  /** Called when a handler or a directory listing fails. */
  onError?: (err: unknown) => void;
}

/**
 * Watches conmon exit directories.
 *
 * conmon writes `<exitDir>/<id>` (the exit code) when a container's init
 * process exits, whether or not the daemon runs. The monitor watches each
 * exit directory with `fs.watch` and calls `onExit(id, dir)` for every file
 * that appears; since `fs.watch` may coalesce or drop events (inotify queue
 * overflow, a directory created after the watch started), a periodic
 * re-check lists the directories every `recheckMs` and reports every file
 * again. `onExit` must therefore be idempotent: the service ignores exits of
 * containers it already knows to be exited.
 *
 * Life: `start()` creates the directories and begins watching (call it
 * before recovery, so no exit is missed between recovery and watching);
 * `recheck()` runs one pass at once (after recovery); `close()` stops
 * everything. Idempotent.
 *
 * @public
 */
export class ExitMonitor {
  readonly #opts: ExitMonitorOptions;
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #started = false;

  constructor(options: ExitMonitorOptions) {
    this.#opts = options;
  }

  /** Creates the directories and starts watching. Idempotent. */
  async start(): Promise<void> {
    if (this.#started || this.#closed) return;
    this.#started = true;
    for (const dir of this.#opts.dirs) {
      await mkdir(dir, { recursive: true });
      const w = watch(dir, { persistent: false }, (_event, name) => {
        if (typeof name === "string" && name !== "" && !name.startsWith(".")) this.#fire(name, dir);
      });
      w.on("error", (err) => this.#opts.onError?.(err));
      this.#watchers.push(w);
    }
    const every = this.#opts.recheckMs ?? 2000;
    this.#timer = setInterval(() => void this.recheck(), every);
    this.#timer.unref();
  }

  /** Reports every exit file present now. */
  async recheck(): Promise<void> {
    for (const dir of this.#opts.dirs) {
      if (this.#closed) return;
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT") this.#opts.onError?.(err);
        continue;
      }
      for (const n of names) if (!n.startsWith(".")) this.#fire(n, dir);
    }
  }

  #fire(id: string, dir: string): void {
    if (this.#closed) return;
    try {
      const r = this.#opts.onExit(id, dir);
      if (r instanceof Promise) r.catch((err: unknown) => this.#opts.onError?.(err));
    } catch (err) {
      this.#opts.onError?.(err);
    }
  }

  /** Stops watching. Idempotent. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers.length = 0;
  }
}
