/**
 * What a runtime handler's `[runtimes.<name>.options]` table means for a
 * runtime run through conmon, decoded by the handler's `type` (see
 * `src/runtime-options`) and checked: every key is either applied or refused
 * with an error that names it, never ignored.
 *
 * | runtime type | key | what crikit does |
 * | --- | --- | --- |
 * | `io.containerd.runc.v1`, `.v2` | `BinaryName` | the OCI runtime binary (instead of `binary`) |
 * | | `Root` | the runtime's `--root` (instead of `root`); absolute |
 * | | `SystemdCgroup` | this handler's cgroup driver: `--systemd-cgroup`, conmon `-s`, `slice:prefix:id` cgroup paths |
 * | | `NoPivotRoot` | `--no-pivot` on `create` (conmon passes it) |
 * | | `NoNewKeyring` | `--no-new-keyring` on `create` (conmon passes it) |
 * | | `IoUid`, `IoGid` | refused unless 0: conmon owns the stdio pipes and cannot give them away |
 * | | `ShimCgroup` | refused: conmon is not moved into a cgroup of its own |
 * | | `CriuPath`, `CriuImagePath`, `CriuWorkPath` | refused: CheckpointContainer is not implemented |
 * | `io.containerd.runtime.v1.linux` | `Runtime`, `RuntimeRoot`, `SystemdCgroup` | as `BinaryName`, `Root`, `SystemdCgroup` |
 * | | `CriuPath` | refused, as above |
 * | any other type | any key | refused: the options of other runtime types cannot be passed to an OCI runtime CLI |
 *
 * @packageDocumentation
 */
import { createRequire } from "node:module";
import { invalidArgument } from "../errors.js";
import type * as RuntimeOptions from "../runtime-options/index.js";
import type { DecodedRuntimeOptions } from "../runtime-options/index.js";
import type { RuntimeHandlerConfig } from "./daemon-config.js";

// The option decoders build protobuf descriptors (@bufbuild/protobuf, about
// 20 MiB): loaded on the first handler that has options, not when crikit/config
// is imported. `require` of the ES module shares its instance with `import`.
const require = createRequire(import.meta.url);
let runtimeOptions: typeof RuntimeOptions | undefined;
const loadRuntimeOptions = (): typeof RuntimeOptions => (runtimeOptions ??= require("../runtime-options/index.js") as typeof RuntimeOptions);

/**
 * The settings a handler's `options` table gives its OCI runtime (see the
 * file header). A field left out is not set by the options.
 *
 * @public
 */
export interface RuntimeHandlerSettings {
  /** The OCI runtime binary (`BinaryName`, or `Runtime` of the legacy type). */
  binary?: string;
  /** The runtime's `--root` (`Root`, or `RuntimeRoot` of the legacy type). */
  root?: string;
  /** Use the systemd cgroup driver (`SystemdCgroup`), when the table has the key. */
  systemdCgroup?: boolean;
  /** Pass `--no-pivot` to the runtime's `create` (`NoPivotRoot`). */
  noPivotRoot: boolean;
  /** Pass `--no-new-keyring` to the runtime's `create` (`NoNewKeyring`). */
  noNewKeyring: boolean;
}

function has(table: Readonly<Record<string, unknown>>, goName: string): boolean {
  const want = goName.toLowerCase();
  return Object.keys(table).some((k) => k.replaceAll("_", "").toLowerCase() === want);
}

/**
 * The settings of handler `name` from its `options` table.
 *
 * @throws CrikitError InvalidArgument naming `runtimes.<name>.options.<Key>`
 *   for a key that does not decode or that crikit cannot honour, with what to
 *   do instead.
 *
 * @example
 * ```ts
 * const s = runtimeHandlerSettings("runc", { ...config.runtimes["runc"], options: { NoPivotRoot: true } });
 * // { noPivotRoot: true, noNewKeyring: false }
 * ```
 *
 * @public
 */
export function runtimeHandlerSettings(name: string, rc: Pick<RuntimeHandlerConfig, "type" | "options">): RuntimeHandlerSettings {
  const at = `runtimes.${name}.options`;
  // An empty table decodes to the zero options of any type, which set nothing.
  if (Object.keys(rc.options).length === 0) return { noPivotRoot: false, noNewKeyring: false };
  let decoded: DecodedRuntimeOptions;
  try {
    decoded = loadRuntimeOptions().decodeRuntimeOptions(rc.type, rc.options);
  } catch (err) {
    throw invalidArgument(`${at}: ${err instanceof Error ? err.message : String(err)}`, at);
  }
  const refuse = (key: string, why: string): never => {
    throw invalidArgument(`${at}.${key} cannot be honoured: ${why}; remove it from [${at}]`, `${at}.${key}`);
  };
  const out: RuntimeHandlerSettings = { noPivotRoot: false, noNewKeyring: false };
  const setRoot = (key: string, root: string): void => {
    if (root === "") return;
    if (!root.startsWith("/")) throw invalidArgument(`${at}.${key} must be an absolute path, got ${JSON.stringify(root)}`, `${at}.${key}`);
    out.root = root;
  };
  const noCheckpoint = "crikit does not implement CheckpointContainer";
  switch (decoded.kind) {
    case "runc": {
      const o = decoded.options;
      if (o.ioUid !== 0) refuse("IoUid", "conmon creates the container's stdio pipes as the daemon's user and cannot hand them to another owner");
      if (o.ioGid !== 0) refuse("IoGid", "conmon creates the container's stdio pipes as the daemon's group and cannot hand them to another owner");
      if (o.shimCgroup !== "") refuse("ShimCgroup", "crikit's monitor is conmon, which it does not move into a cgroup of its own");
      if (o.criuPath !== "") refuse("CriuPath", noCheckpoint);
      if (o.criuImagePath !== "") refuse("CriuImagePath", noCheckpoint);
      if (o.criuWorkPath !== "") refuse("CriuWorkPath", noCheckpoint);
      if (o.binaryName !== "") out.binary = o.binaryName;
      setRoot("Root", o.root);
      if (has(rc.options, "SystemdCgroup")) out.systemdCgroup = o.systemdCgroup;
      out.noPivotRoot = o.noPivotRoot;
      out.noNewKeyring = o.noNewKeyring;
      return out;
    }
    case "legacy-runc": {
      const o = decoded.options;
      if (o.criuPath !== "") refuse("CriuPath", noCheckpoint);
      if (o.runtime !== "") out.binary = o.runtime;
      setRoot("RuntimeRoot", o.runtimeRoot);
      if (has(rc.options, "SystemdCgroup")) out.systemdCgroup = o.systemdCgroup;
      return out;
    }
    default: {
      const keys = Object.keys(rc.options);
      if (keys.length > 0) {
        refuse(
          keys[0] as string,
          `runtime type ${JSON.stringify(rc.type)} has no options crikit can apply (it runs every handler's OCI runtime, \`binary\`, through conmon); ` +
            `use type "io.containerd.runc.v2" for runc or crun`,
        );
      }
      return out;
    }
  }
}
