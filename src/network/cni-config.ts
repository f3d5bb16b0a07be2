/**
 * Parsing and validation of CNI network configuration files (pure).
 *
 * Formats accepted (CNI spec "Network configuration format"):
 * - `.conflist`: a list, `{cniVersion, name, plugins: [...], disableCheck?,
 *   disableGC?, cniVersions?}`.
 * - `.conf` and `.json`: a single plugin configuration `{cniVersion, name,
 *   type, ...}`, turned into a list of one plugin. A `.conf`/`.json` file that
 *   holds a list (has `plugins`) is accepted as a list.
 *
 * When a 1.1.0 list carries `cniVersions`, the highest version crikit
 * supports is chosen, as the spec asks of runtimes. Every plugin receives the
 * list's `name` and `cniVersion` on stdin; each plugin object is kept as
 * written (raw JSON), so plugin-specific keys pass through untouched.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import { compareCniVersions, isSupportedCniVersion, supportedCniVersions } from "./cni-version.js";
import type { CniVersion } from "./cni-version.js";

/**
 * One plugin entry of a network configuration list, as written in the file.
 *
 * @public
 */
export interface CniPluginConfig {
  /** The plugin binary name (`type`). */
  readonly type: string;
  /** Capabilities the plugin declared (`capabilities` map), only the `true` ones. */
  readonly capabilities: readonly string[];
  /** The whole plugin object, plugin-specific keys included. */
  readonly raw: Readonly<Record<string, unknown>>;
}

/**
 * A validated network configuration list.
 *
 * @public
 */
export interface CniNetworkConfigList {
  /** Network name. */
  readonly name: string;
  /** The spec version used to talk to every plugin of the list. */
  readonly cniVersion: CniVersion;
  /** `disableCheck` from the file: CHECK is skipped when true. */
  readonly disableCheck: boolean;
  /** `disableGC` from the file: GC is skipped when true. */
  readonly disableGC: boolean;
  /** The plugins, in chain order. */
  readonly plugins: readonly CniPluginConfig[];
  /** The file the list came from (base name), or `""` when built in code. */
  readonly source: string;
  /** The list as JSON (the file, normalised to list form); stored with cached results. */
  readonly bytes: string;
}

const extensions = [".conf", ".conflist", ".json"] as const;
const nameRe = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const pluginTypeRe = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]*$/;

/**
 * Whether a file name has one of the extensions the conf dir loads
 * (`.conf`, `.conflist`, `.json`).
 *
 * @public
 */
export function isCniConfigFileName(fileName: string): boolean {
  return extensions.some((e) => fileName.endsWith(e) && fileName.length > e.length) && !fileName.startsWith(".");
}

function invalid(source: string, msg: string, field?: string): CrikitError {
  const where = source === "" ? "CNI configuration" : `CNI configuration file "${source}"`;
  return new CrikitError("InvalidArgument", `${where}: ${msg}`, { details: { file: source, ...(field ? { field } : {}) } });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pickVersion(source: string, obj: Record<string, unknown>): CniVersion {
  const list = obj["cniVersions"];
  if (list !== undefined) {
    if (!Array.isArray(list) || !list.every((x) => typeof x === "string")) {
      throw invalid(source, "cniVersions must be an array of strings", "cniVersions");
    }
    const ok = (list as string[]).filter(isSupportedCniVersion).sort(compareCniVersions);
    const best = ok[ok.length - 1];
    if (best !== undefined) return best;
    if (obj["cniVersion"] === undefined) {
      throw invalid(source, `none of cniVersions [${list.join(", ")}] is supported (supported: ${supportedCniVersions.join(", ")})`, "cniVersions");
    }
  }
  const v = obj["cniVersion"];
  if (typeof v !== "string" || v === "") throw invalid(source, "cniVersion is missing", "cniVersion");
  if (!isSupportedCniVersion(v)) {
    throw invalid(source, `cniVersion "${v}" is not supported (supported: ${supportedCniVersions.join(", ")})`, "cniVersion");
  }
  return v;
}

function parsePlugin(source: string, p: unknown, index: number): CniPluginConfig {
  const field = `plugins[${index}]`;
  if (!isObject(p)) throw invalid(source, `${field} must be an object`, field);
  const type = p["type"];
  if (typeof type !== "string" || type === "") throw invalid(source, `${field}.type is missing`, `${field}.type`);
  if (!pluginTypeRe.test(type)) throw invalid(source, `${field}.type "${type}" is not a plain binary name`, `${field}.type`);
  const caps = p["capabilities"];
  const capabilities: string[] = [];
  if (caps !== undefined) {
    if (!isObject(caps)) throw invalid(source, `${field}.capabilities must be an object`, `${field}.capabilities`);
    for (const [k, v] of Object.entries(caps)) if (v === true) capabilities.push(k);
  }
  return { type, capabilities, raw: p };
}

/**
 * Validates a parsed JSON value as a network configuration list (or a single
 * plugin configuration, which becomes a list of one).
 *
 * @param source - The file name, for messages (`""` when built in code).
 * @throws CrikitError `InvalidArgument` naming the offending field.
 * @public
 */
export function toCniNetworkConfigList(value: unknown, source = ""): CniNetworkConfigList {
  if (!isObject(value)) throw invalid(source, "must be a JSON object");
  const name = value["name"];
  if (typeof name !== "string" || name === "") throw invalid(source, "name is missing", "name");
  if (!nameRe.test(name)) throw invalid(source, `name "${name}" may hold only letters, digits, "_", "." and "-"`, "name");
  const cniVersion = pickVersion(source, value);
  let listObj: Record<string, unknown>;
  let pluginsRaw: unknown;
  if (value["plugins"] !== undefined) {
    pluginsRaw = value["plugins"];
    if (!Array.isArray(pluginsRaw)) throw invalid(source, "plugins must be an array", "plugins");
    if (pluginsRaw.length === 0) throw invalid(source, "plugins is empty", "plugins");
    listObj = value;
  } else if (value["type"] !== undefined) {
    const { name: _n, cniVersion: _v, ...plugin } = value;
    pluginsRaw = [plugin];
    listObj = { cniVersion, name, plugins: pluginsRaw };
  } else {
    throw invalid(source, "has neither plugins (a list) nor type (a single plugin)", "plugins");
  }
  const plugins = (pluginsRaw as unknown[]).map((p, i) => parsePlugin(source, p, i));
  for (const key of ["disableCheck", "disableGC"] as const) {
    const v = listObj[key];
    if (v !== undefined && typeof v !== "boolean" && v !== "true" && v !== "false") {
      throw invalid(source, `${key} must be a boolean`, key);
    }
  }
  const flag = (v: unknown): boolean => v === true || v === "true";
  return {
    name,
    cniVersion,
    disableCheck: flag(listObj["disableCheck"]),
    disableGC: flag(listObj["disableGC"]),
    plugins,
    source,
    bytes: JSON.stringify(listObj),
  };
}

/**
 * Parses one configuration file's text.
 *
 * @param fileName - Base name of the file; its extension picks the format.
 * @throws CrikitError `InvalidArgument` when the JSON is malformed or a field is invalid.
 * @public
 */
export function parseCniConfigFile(fileName: string, text: string): CniNetworkConfigList {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new CrikitError("InvalidArgument", `CNI configuration file "${fileName}": not valid JSON: ${(e as Error).message}`, {
      cause: e,
      details: { file: fileName },
    });
  }
  if (fileName.endsWith(".conflist") && isObject(value) && value["plugins"] === undefined) {
    throw invalid(fileName, "a .conflist file needs a plugins array", "plugins");
  }
  return toCniNetworkConfigList(value, fileName);
}

/**
 * A configuration file that could not be used, and why.
 *
 * @public
 */
export interface CniConfigFileError {
  /** Base name of the file. */
  readonly file: string;
  /** What is wrong, naming the field. */
  readonly message: string;
}

/**
 * The outcome of loading a conf dir: usable networks in lexical file order
 * (the first is the default network) and the files that were skipped.
 *
 * @public
 */
export interface CniConfigSet {
  /** Valid networks, in lexical order of their files. */
  readonly networks: readonly CniNetworkConfigList[];
  /** The default network: the first valid one. */
  readonly defaultNetwork: CniNetworkConfigList | undefined;
  /** Files that were skipped, in lexical order. */
  readonly errors: readonly CniConfigFileError[];
}

/**
 * Builds a {@link CniConfigSet} from files already read: keeps the ones with a
 * config extension, sorts them by name, parses each, and records failures
 * instead of throwing. Two files declaring the same network name keep the
 * first; the second is reported.
 *
 * @public
 */
export function buildCniConfigSet(files: Iterable<{ readonly name: string; readonly text: string }>): CniConfigSet {
  const sorted = [...files].filter((f) => isCniConfigFileName(f.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const networks: CniNetworkConfigList[] = [];
  const errors: CniConfigFileError[] = [];
  const seen = new Set<string>();
  for (const f of sorted) {
    try {
      const list = parseCniConfigFile(f.name, f.text);
      if (seen.has(list.name)) {
        errors.push({ file: f.name, message: `CNI configuration file "${f.name}": network name "${list.name}" is already defined by an earlier file` });
        continue;
      }
      seen.add(list.name);
      networks.push(list);
    } catch (e) {
      errors.push({ file: f.name, message: (e as Error).message });
    }
  }
  return { networks, defaultNetwork: networks[0], errors };
}
