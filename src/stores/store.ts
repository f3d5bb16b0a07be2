/**
 * The generic object store the sandbox and container stores are built on
 * (containerd's `internal/cri/store/{sandbox,container}`, CRI-O's
 * `internal/memorystore`).
 *
 * The rules are in the TSDoc of {@link Store}.
 *
 * @packageDocumentation
 */
import { CrikitError, notFound } from "../errors.js";
import { deepFreeze } from "./deep-freeze.js";
import { TruncIndex } from "./trunc-index.js";
import { ObjectLocks } from "./object-locks.js";

/**
 * One stored object: ID, fixed metadata and current status, deep-frozen.
 *
 * @public
 */
export interface StoreRecord<Meta, Status> {
  /** The full ID. */
  readonly id: string;
  /** Set when the object was added; never changes. */
  readonly metadata: Readonly<Meta>;
  /** The status as of this snapshot. */
  readonly status: Readonly<Status>;
}

/**
 * A status update function: gets the current status (frozen) and the record
 * it belongs to, and returns the new status. Throw to change nothing.
 *
 * @public
 */
export type StatusUpdate<Meta, Status> = (status: Readonly<Status>, record: StoreRecord<Meta, Status>) => Status;

/**
 * An asynchronous status update function; see {@link StatusUpdate}.
 *
 * @public
 */
export type AsyncStatusUpdate<Meta, Status> = (
  status: Readonly<Status>,
  record: StoreRecord<Meta, Status>,
) => Status | Promise<Status>;

/**
 * Options of {@link Store}.
 *
 * @public
 */
export interface StoreOptions<Meta, Status> {
  /**
   * What the objects are, for error messages (`container "3f" not found`).
   * @defaultValue `"object"`
   */
  noun?: string;
  /**
   * The creation time that orders {@link Store.list}, read once when an
   * object is added. Any unit; only the order matters.
   * @defaultValue every object `0n`, so objects list in the order they were added
   */
  createdAt?: (record: StoreRecord<Meta, Status>) => bigint;
  /**
   * Checks a record before it is added. Throw (`InvalidArgument`) to refuse it.
   * @defaultValue no check
   */
  validate?: (record: StoreRecord<Meta, Status>) => void;
  /**
   * Checks a status change before it is stored. Throw
   * (`FailedPrecondition`) to refuse it; the status then stays as it was.
   * @defaultValue no check
   */
  checkTransition?: (previous: StoreRecord<Meta, Status>, next: Readonly<Status>) => void;
  /**
   * A key that groups objects (for containers, their sandbox ID), for
   * {@link Store.listByGroup}. Read once when an object is added.
   * @defaultValue no grouping
   */
  groupKey?: (metadata: Readonly<Meta>) => string;
}

/**
 * Options of {@link Store.updateAsync}.
 *
 * @public
 */
export interface UpdateAsyncOptions {
  /** Stops waiting for earlier updates of the same object. */
  signal?: AbortSignal;
}

interface Entry<Meta, Status> {
  record: StoreRecord<Meta, Status>;
  readonly createdAt: bigint;
  readonly seq: number;
  readonly group: string | undefined;
  /** Bumped by every stored change; async updates compare it. */
  version: number;
  /** Resolves when the last queued async update has finished. */
  tail: Promise<void>;
}

function byCreation(a: Entry<unknown, unknown>, b: Entry<unknown, unknown>): number {
  return a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.seq - b.seq;
}

/** Where `entry` goes in `order` (sorted by creation): the first index whose entry sorts after it. */
function insertionPoint<M, S>(order: ReadonlyArray<Entry<M, S>>, entry: Entry<M, S>): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byCreation(order[mid] as Entry<unknown, unknown>, entry as Entry<unknown, unknown>) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function waitFor(p: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return p;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void p.then(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    });
  });
}

/**
 * An in-memory store of objects with immutable metadata and an atomically
 * updated status.
 *
 * ## Objects
 *
 * An object is a {@link StoreRecord}: an ID, metadata fixed when the object
 * is added, and a status. Records are deep-frozen snapshots: a reader holds
 * the status as it was when it read it and can never see one half-written.
 * The status changes only through {@link Store.update} or
 * {@link Store.updateAsync}, which replace the whole record at once.
 *
 * ## Updates and concurrency
 *
 * - `update(id, fn)` runs `fn(currentStatus)` and stores what it returns, in
 *   one synchronous step; nothing can interleave with it. If `fn` throws,
 *   or the store's transition check (for instance "an exited container cannot
 *   start") refuses the new status, nothing changes.
 * - `updateAsync(id, fn)` lets `fn` await. Async updates of one object run one
 *   at a time, in call order, each seeing the status the previous one stored,
 *   so concurrent async updates never lose a write. A synchronous `update`
 *   is never refused or delayed: if one lands while an async `fn` is awaiting,
 *   the async result would overwrite it, so instead the async update fails
 *   with `Aborted` (gRPC's code for a concurrency conflict; retry it) and
 *   the synchronous write stands. If the object is deleted while `fn`
 *   awaits, the async update fails with `NotFound`.
 * - With `signal`, an async update that is still queued stops waiting and
 *   rejects with the signal's reason; one whose `fn` is running is not
 *   interrupted (pass the signal to `fn` yourself).
 *
 * ## Lookup and order
 *
 * `get` takes a full ID or a unique prefix (see `TruncIndex`). `list` is
 * ordered by creation time, ties by insertion, even for objects recovered out
 * of order. `delete` takes a full ID and is idempotent (containerd's `Delete`).
 * `locks` serialises multi-step changes of one object (see `ObjectLocks`).
 *
 * @example
 * ```ts
 * const store = new Store<{ name: string }, { count: number }>({ noun: "widget" });
 * store.add(id, { name: "a" }, { count: 0 });
 * await Promise.all([1, 2].map(() => store.updateAsync(id, async (s) => ({ count: s.count + 1 }))));
 * store.get(id.slice(0, 6)).status.count; // 2
 * ```
 * @public
 */
export class Store<Meta, Status> {
  readonly #entries = new Map<string, Entry<Meta, Status>>();
  readonly #index: TruncIndex;
  readonly #groups = new Map<string, Set<string>>();
  readonly #options: StoreOptions<Meta, Status>;
  readonly #noun: string;
  #seq = 0;
  /** Entries in list order, kept sorted through adds and deletes once built. */
  #order: Array<Entry<Meta, Status>> | undefined;
  /** The last list() result; dropped on any change. */
  #listCache: ReadonlyArray<StoreRecord<Meta, Status>> | undefined;

  constructor(options: StoreOptions<Meta, Status> = {}) {
    this.#options = options;
    this.#noun = options.noun ?? "object";
    this.#index = new TruncIndex({ noun: this.#noun });
  }

  /** Per-object exclusive sections (see `ObjectLocks`): multi-step changes of one object run one at a time. */
  readonly locks = new ObjectLocks();

  /** The number of objects held. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Adds an object. `metadata` and `status` are deep-frozen in place, not
   * copied (typed arrays such as CRI env values excepted), so do not keep
   * changing them after the call.
   *
   * @returns the stored (frozen) record.
   * @throws `InvalidArgument` if `id` is not lowercase hex or the record
   *   fails the store's check; `AlreadyExists` if `id` is held already.
   */
  add(id: string, metadata: Meta, status: Status): StoreRecord<Meta, Status> {
    if (this.#entries.has(id)) {
      throw new CrikitError("AlreadyExists", `${this.#noun} ${JSON.stringify(id)} already exists`, { details: { id } });
    }
    const record = deepFreeze({ id, metadata, status } as StoreRecord<Meta, Status>);
    this.#options.validate?.(record);
    this.#index.add(id); // checks the ID's form
    const group = this.#options.groupKey?.(record.metadata);
    const entry: Entry<Meta, Status> = {
      record,
      createdAt: this.#options.createdAt?.(record) ?? 0n,
      seq: this.#seq++,
      group,
      version: 0,
      tail: Promise.resolve(),
    };
    this.#entries.set(id, entry);
    if (group !== undefined) {
      let members = this.#groups.get(group);
      if (members === undefined) this.#groups.set(group, (members = new Set()));
      members.add(id);
    }
    if (this.#order !== undefined) {
      // Usually the newest object: append. Otherwise (recovery) insert in place.
      const last = this.#order[this.#order.length - 1];
      if (last === undefined || byCreation(last as Entry<unknown, unknown>, entry as Entry<unknown, unknown>) <= 0) this.#order.push(entry);
      else this.#order.splice(insertionPoint(this.#order, entry), 0, entry);
    }
    this.#listCache = undefined;
    return record;
  }

  /**
   * The object with this full ID or unique ID prefix.
   *
   * @throws `NotFound` if no ID matches; `InvalidArgument` if the prefix is
   *   empty or matches several IDs (`details.reason` `"AmbiguousPrefix"`).
   */
  get(idOrPrefix: string): StoreRecord<Meta, Status> {
    const entry = this.#entries.get(idOrPrefix) ?? this.#entries.get(this.#index.get(idOrPrefix));
    return (entry as Entry<Meta, Status>).record;
  }

  /**
   * Like {@link Store.get}, but `undefined` where `get` throws `NotFound`.
   * An ambiguous or empty prefix still throws.
   */
  find(idOrPrefix: string): StoreRecord<Meta, Status> | undefined {
    try {
      return this.get(idOrPrefix);
    } catch (err) {
      if (err instanceof CrikitError && err.code === "NotFound") return undefined;
      throw err;
    }
  }

  /** Whether an object with exactly this ID is held. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /**
   * Every object, ordered by creation time and then by the order added.
   * O(n) after a change (the order itself is kept sorted as objects come
   * and go), O(1) when nothing changed since the last call.
   *
   * @param filter - keeps only the records it returns true for
   */
  list(filter?: (record: StoreRecord<Meta, Status>) => boolean): ReadonlyArray<StoreRecord<Meta, Status>> {
    if (this.#listCache === undefined) {
      this.#order ??= [...this.#entries.values()].sort(byCreation);
      this.#listCache = Object.freeze(this.#order.map((e) => e.record));
    }
    return filter === undefined ? this.#listCache : this.#listCache.filter(filter);
  }

  /**
   * The objects whose `groupKey` is `key`, in {@link Store.list} order.
   * Costs O(k log k) for k members, whatever the store's size.
   */
  listByGroup(key: string): Array<StoreRecord<Meta, Status>> {
    const members = this.#groups.get(key);
    if (members === undefined) return [];
    const entries: Array<Entry<Meta, Status>> = [];
    for (const id of members) entries.push(this.#entries.get(id) as Entry<Meta, Status>);
    return entries.sort(byCreation).map((e) => e.record);
  }

  /**
   * Removes the object with this full ID (not a prefix). Idempotent.
   *
   * @returns the removed record, or `undefined` if there was none.
   */
  delete(id: string): StoreRecord<Meta, Status> | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    this.#index.delete(id);
    if (entry.group !== undefined) {
      const members = this.#groups.get(entry.group);
      members?.delete(id);
      if (members?.size === 0) this.#groups.delete(entry.group);
    }
    entry.version++;
    if (this.#order !== undefined) {
      const at = insertionPoint(this.#order, entry) - 1;
      if (this.#order[at] === entry) this.#order.splice(at, 1);
      else this.#order = undefined; // cannot happen while the keys are unique; rebuild to be safe
    }
    this.#listCache = undefined;
    return entry.record;
  }

  /**
   * Replaces the status of the object with this full ID by what `fn` returns,
   * atomically.
   *
   * @returns the new record.
   * @throws `NotFound` if there is no such object; whatever `fn` throws;
   *   `FailedPrecondition` if the store refuses the transition. In each case
   *   the status is unchanged.
   */
  update(id: string, fn: StatusUpdate<Meta, Status>): StoreRecord<Meta, Status> {
    const entry = this.#entry(id);
    return this.#commit(entry, fn(entry.record.status, entry.record));
  }

  /**
   * Like {@link Store.update}, but `fn` may be async. Async updates of one
   * object run one at a time in call order.
   *
   * @throws as {@link Store.update}; also `Aborted` if a synchronous update
   *   changed the status while `fn` was running, `NotFound` if the object
   *   was deleted meanwhile, and the signal's reason if it aborts while the
   *   update is queued.
   */
  async updateAsync(
    id: string,
    fn: AsyncStatusUpdate<Meta, Status>,
    options: UpdateAsyncOptions = {},
  ): Promise<StoreRecord<Meta, Status>> {
    const entry = this.#entry(id);
    options.signal?.throwIfAborted();
    const previous = entry.tail;
    let release!: () => void;
    entry.tail = new Promise<void>((resolve) => (release = resolve));
    try {
      await waitFor(previous, options.signal);
      if (this.#entries.get(id) !== entry) throw this.#gone(id);
      const version = entry.version;
      const next = await fn(entry.record.status, entry.record);
      if (this.#entries.get(id) !== entry) throw this.#gone(id);
      if (entry.version !== version) {
        throw new CrikitError(
          "Aborted",
          `${this.#noun} ${JSON.stringify(id)} changed while an asynchronous update was running; retry the update`,
          { details: { id } },
        );
      }
      return this.#commit(entry, next);
    } finally {
      // Hand over only once the update before this one has finished, even if
      // this one stopped waiting early.
      void previous.then(release);
    }
  }

  #entry(id: string): Entry<Meta, Status> {
    const entry = this.#entries.get(id);
    if (entry === undefined) throw notFound(`${this.#noun} ${JSON.stringify(id)} not found`);
    return entry;
  }

  #gone(id: string): CrikitError {
    return notFound(`${this.#noun} ${JSON.stringify(id)} was removed during the update`);
  }

  #commit(entry: Entry<Meta, Status>, next: Status): StoreRecord<Meta, Status> {
    const status = deepFreeze(next);
    this.#options.checkTransition?.(entry.record, status);
    const record = Object.freeze({ id: entry.record.id, metadata: entry.record.metadata, status });
    entry.record = record;
    entry.version++;
    this.#listCache = undefined;
    return record;
  }
}
