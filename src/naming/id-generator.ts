/**
 * Object IDs: 64 lowercase hex digits made from 32 random bytes, as
 * containerd (`util.GenerateID`) and CRI-O (`stringid.GenerateNonCryptoID`
 * before, random hex now) produce them.
 *
 * The generator sits behind the one-method {@link IdGenerator} interface so
 * that callers take it in their options and tests pass a deterministic one.
 * The default reads the Web Crypto `crypto.getRandomValues` (the same CSPRNG
 * as `node:crypto`'s `randomBytes`), which is not I/O, so this folder stays
 * pure; Node loads its crypto bindings on the first ID, not on import.
 *
 * @packageDocumentation
 */
/**
 * Makes new object IDs.
 *
 * @public
 */
export interface IdGenerator {
  /** A fresh ID, unique with overwhelming probability. */
  newId(): string;
}

/** The length of a full object ID, in hex digits. @public */
export const ID_LENGTH = 64;

const FULL_ID = /^[0-9a-f]{64}$/;

/**
 * Whether `s` is a full object ID: exactly 64 lowercase hex digits.
 *
 * @public
 */
export function isFullId(s: string): boolean {
  return FULL_ID.test(s);
}

/**
 * Options of {@link createRandomIdGenerator}.
 *
 * @public
 */
export interface RandomIdGeneratorOptions {
  /**
   * The source of random bytes.
   * @defaultValue `crypto.getRandomValues` into a new `Uint8Array`
   */
  randomBytes?: (size: number) => Uint8Array;
}

/**
 * An {@link IdGenerator} that hex-encodes 32 random bytes.
 *
 * @public
 */
export function createRandomIdGenerator(options: RandomIdGeneratorOptions = {}): IdGenerator {
  const source = options.randomBytes ?? webRandomBytes;
  return {
    newId(): string {
      const bytes = source(ID_LENGTH / 2);
      if (bytes.length !== ID_LENGTH / 2) {
        throw new RangeError(`random byte source returned ${bytes.length} bytes, want ${ID_LENGTH / 2}`);
      }
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
    },
  };
}

const defaultGenerator = createRandomIdGenerator();

/**
 * A new random 64-hex-digit ID from the default generator.
 *
 * @public
 */
export function generateId(): string {
  return defaultGenerator.newId();
}

function webRandomBytes(size: number): Uint8Array {
  return globalThis.crypto.getRandomValues(new Uint8Array(size));
}
