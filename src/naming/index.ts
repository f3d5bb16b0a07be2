/**
 * Names, IDs and per-object directories of sandboxes and containers. Pure:
 * no file system, no processes.
 *
 * @packageDocumentation
 */
export {
  makeSandboxName,
  makeContainerName,
  parseSandboxName,
  parseContainerName,
  validateSandboxMetadata,
  validateContainerMetadata,
} from "./object-names.js";
export type { SandboxNameMetadata, ContainerNameMetadata, ParsedContainerName } from "./object-names.js";
export { generateId, createRandomIdGenerator, isFullId, ID_LENGTH } from "./id-generator.js";
export type { IdGenerator, RandomIdGeneratorOptions } from "./id-generator.js";
export { createObjectDirs } from "./object-dirs.js";
export type { ObjectDirs, ObjectDirsOptions } from "./object-dirs.js";
