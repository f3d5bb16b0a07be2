/**
 * The daemon configuration: one TOML file, validated against a JSON Schema
 * (with ajv, which also fills in the defaults, so the schema below is the one
 * place where each default lives and is documented).
 *
 * ```toml
 * root = "/var/lib/crikit"          # persistent: images, records
 * state = "/run/crikit"             # volatile: bundles, sockets, exit files
 * socket = "/run/crikit/crikit.sock"
 * log_level = "info"
 * cgroup_driver = "cgroupfs"        # or "systemd"
 * sandbox_mode = "auto"             # "infra", "infra-less" or "auto"
 * default_runtime = "runc"
 *
 * [runtimes.runc]
 * type = "io.containerd.runc.v2"
 * binary = "runc"
 * pod_annotations = ["io.kubernetes.cri.*"]
 * [runtimes.runc.options]
 * SystemdCgroup = false
 *
 * [cni]
 * bin_dirs = ["/usr/lib/cni", "/opt/cni/bin"]
 * conf_dir = "/etc/crikit/net.d"
 *
 * [registry.mirrors."docker.io"]
 * endpoints = ["http://127.0.0.1:5000"]
 * [registry.auths."127.0.0.1:5000"]
 * username = "u"
 * password = "p"
 * ```
 *
 * @packageDocumentation
 */
import { Ajv, type ErrorObject } from "ajv";
import { parse as parseToml } from "smol-toml";
import { isAbsolute, normalize } from "node:path";
import { invalidArgument } from "../errors.js";

/** A runtime handler: how containers of a RuntimeClass are run. @public */
export interface RuntimeHandlerConfig {
  /** Runtime type, which selects how `options` decode (for instance `io.containerd.runc.v2`). */
  type: string;
  /** The OCI runtime binary (runc, crun, ...), a path or a name on PATH. */
  binary: string;
  /** The runtime's `--root` state directory; defaults to `<state>/runtimes/<name>`. */
  root?: string;
  /** Go `path.Match` patterns of pod annotations passed through to the OCI spec. */
  pod_annotations: string[];
  /** Go `path.Match` patterns of container annotations passed through to the OCI spec. */
  container_annotations: string[];
  /** The runtime type's options, as a TOML table. */
  options: Record<string, unknown>;
}

/** A registry host's mirrors. @public */
export interface RegistryMirrorConfig {
  /** Mirror endpoints (`http://` or `https://`), tried in order before the registry itself. */
  endpoints: string[];
}

/** Credentials for a registry host. @public */
export interface RegistryAuthConfig {
  /** User name for the registry (HTTP Basic, or the token endpoint's Basic credentials). */
  username?: string;
  /** Password or access token going with `username`. */
  password?: string;
  /** base64 of `username:password`. */
  auth?: string;
  /**
   * OAuth2 refresh token, exchanged at the registry's token endpoint (`grant_type=refresh_token`); used
   * instead of `username` and `password`.
   */
  identity_token?: string;
}

/** The daemon configuration, with every default filled in. @public */
export interface DaemonConfig {
  /**
   * Absolute directory for persistent state: images and records. Must differ from `state`.
   * @defaultValue "/var/lib/crikit"
   */
  root: string;
  /**
   * Absolute directory for volatile state: bundles, sockets, exit files; runtime roots default to
   * `<state>/runtimes/<name>`.
   * @defaultValue "/run/crikit"
   */
  state: string;
  /** Absolute path of the CRI gRPC unix socket. @defaultValue "/run/crikit/crikit.sock" */
  socket: string;
  /** pino log level of the daemon (the crikitd example's `--log-level` overrides it). @defaultValue "info" */
  log_level: "trace" | "debug" | "info" | "warn" | "error" | "fatal" | "silent";
  /**
   * How `linux.cgroupsPath` is written: `parent/id` (cgroupfs) or `slice:prefix:id` (systemd); must match the
   * kubelet's.
   * @defaultValue "cgroupfs"
   */
  cgroup_driver: "cgroupfs" | "systemd";
  /**
   * How a pod is held: `infra` runs a pause process, `infra-less` keeps the pod's IPC and UTS namespaces
   * by bind mounts with no process, `auto` runs one only when the pod shares one PID namespace (it must
   * reap zombies).
   * @defaultValue "auto"
   */
  sandbox_mode: "auto" | "infra" | "infra-less";
  /** The pause process for infra-mode sandboxes, bind-mounted from the host. @defaultValue "/usr/bin/catatonit" */
  pause_binary: string;
  /** Clamp negative oom_score_adj values to what the daemon itself may set. @defaultValue true */
  restrict_oom_score_adj: boolean;
  /** The handler used when RunPodSandbox names none; must be a key of `runtimes`. @defaultValue "runc" */
  default_runtime: string;
  /**
   * Runtime handlers by name (CRI `runtime_handler`, the RuntimeClass handler).
   * @defaultValue `{ runc: {} }` with the handler defaults
   */
  runtimes: Record<string, RuntimeHandlerConfig>;
  /**
   * CNI settings: plugin directories searched in order (default `/usr/lib/cni`, `/opt/cni/bin`), the config
   * directory (default `/etc/crikit/net.d`), where pod netns files are created (default `/var/run/netns`) and
   * each plugin call's timeout in ms (default 60000).
   */
  cni: { bin_dirs: string[]; conf_dir: string; netns_dir: string; plugin_timeout_ms: number };
  /**
   * Registry access: hosts reached over plain HTTP (`insecure`), mirrors and credentials, each keyed by
   * registry host (`docker.io`, `127.0.0.1:5000`).
   */
  registry: {
    insecure: string[];
    mirrors: Record<string, RegistryMirrorConfig>;
    auths: Record<string, RegistryAuthConfig>;
  };
  /**
   * Image pulls: the timeout of one pull in ms (default 1800000, 30 minutes) and the platform picked from
   * image indexes (default `linux`/`amd64`).
   */
  image: { pull_timeout_ms: number; platform: { os: string; architecture: string; variant?: string } };
  /**
   * The Exec, Attach and PortForward streaming server: its address and port (0 picks a free one); HTTPS when
   * both `tls_cert_file` and `tls_key_file` (PEM) are set; how long a URL's token stays good
   * (`token_ttl_ms`, 60000) and how many may wait at once (`max_pending_tokens`, 1000); how long a client
   * may take to open its streams (`stream_creation_timeout_ms`, 30000) and how long a connection may stay
   * idle (`idle_timeout_ms`, 14400000, 4 h).
   * @defaultValue `{ address: "127.0.0.1", port: 0, token_ttl_ms: 60000, max_pending_tokens: 1000, stream_creation_timeout_ms: 30000, idle_timeout_ms: 14400000 }`
   */
  stream: {
    address: string;
    port: number;
    tls_cert_file?: string;
    tls_key_file?: string;
    token_ttl_ms: number;
    max_pending_tokens: number;
    stream_creation_timeout_ms: number;
    idle_timeout_ms: number;
  };
  /** Maximum gRPC message size in bytes. @defaultValue 16777216 (16 MiB) */
  max_message_bytes: number;
}

const stringArray = { type: "array", items: { type: "string" } } as const;

/**
 * The JSON Schema of {@link DaemonConfig}, with the defaults.
 *
 * @public
 */
export const daemonConfigSchema = {
  type: "object",
  additionalProperties: false,
  properties: {
    root: { type: "string", default: "/var/lib/crikit", description: "persistent state: images, records" },
    state: { type: "string", default: "/run/crikit", description: "volatile state: bundles, exit files, sockets" },
    socket: { type: "string", default: "/run/crikit/crikit.sock", description: "the CRI gRPC unix socket" },
    log_level: { enum: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], default: "info" },
    cgroup_driver: { enum: ["cgroupfs", "systemd"], default: "cgroupfs" },
    sandbox_mode: {
      enum: ["auto", "infra", "infra-less"],
      default: "auto",
      description: "auto: infra-less unless the pod shares one PID namespace",
    },
    pause_binary: { type: "string", default: "/usr/bin/catatonit" },
    restrict_oom_score_adj: { type: "boolean", default: true },
    default_runtime: { type: "string", default: "runc" },
    runtimes: {
      type: "object",
      default: { runc: {} },
      additionalProperties: {
        type: "object",
        additionalProperties: false,
        properties: {
          type: { type: "string", default: "io.containerd.runc.v2" },
          binary: { type: "string", default: "runc" },
          root: { type: "string" },
          pod_annotations: { ...stringArray, default: [] },
          container_annotations: { ...stringArray, default: [] },
          options: { type: "object", default: {} },
        },
      },
    },
    cni: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        bin_dirs: { ...stringArray, default: ["/usr/lib/cni", "/opt/cni/bin"] },
        conf_dir: { type: "string", default: "/etc/crikit/net.d" },
        netns_dir: { type: "string", default: "/var/run/netns" },
        plugin_timeout_ms: { type: "integer", minimum: 1, default: 60000 },
      },
    },
    registry: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        insecure: { ...stringArray, default: [] },
        mirrors: {
          type: "object",
          default: {},
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            required: ["endpoints"],
            properties: { endpoints: stringArray },
          },
        },
        auths: {
          type: "object",
          default: {},
          additionalProperties: {
            type: "object",
            additionalProperties: false,
            properties: {
              username: { type: "string" },
              password: { type: "string" },
              auth: { type: "string" },
              identity_token: { type: "string" },
            },
          },
        },
      },
    },
    image: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        pull_timeout_ms: { type: "integer", minimum: 1, default: 1800000 },
        platform: {
          type: "object",
          default: {},
          additionalProperties: false,
          properties: {
            os: { type: "string", default: "linux" },
            architecture: { type: "string", default: "amd64" },
            variant: { type: "string" },
          },
        },
      },
    },
    stream: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        address: { type: "string", default: "127.0.0.1" },
        port: { type: "integer", minimum: 0, maximum: 65535, default: 0 },
        tls_cert_file: { type: "string", description: "PEM certificate chain; HTTPS with tls_key_file" },
        tls_key_file: { type: "string", description: "PEM private key; HTTPS with tls_cert_file" },
        token_ttl_ms: { type: "integer", minimum: 1, default: 60000 },
        max_pending_tokens: { type: "integer", minimum: 1, default: 1000 },
        stream_creation_timeout_ms: { type: "integer", minimum: 1, default: 30000 },
        idle_timeout_ms: { type: "integer", minimum: 1, default: 14400000 },
      },
    },
    max_message_bytes: { type: "integer", minimum: 4096, default: 16 * 1024 * 1024 },
  },
} as const;

let validate: ReturnType<Ajv["compile"]> | undefined;

function describeError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "config" : e.instancePath.slice(1).replaceAll("/", ".");
  if (e.keyword === "additionalProperties") return `${where}: unknown key ${JSON.stringify(e.params["additionalProperty"])}`;
  if (e.keyword === "enum") return `${where}: must be one of ${(e.params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return `${where}: ${e.message ?? "invalid"}`;
}

/**
 * Validates a parsed configuration object and fills in the defaults.
 *
 * @throws `InvalidArgument` naming the offending key: an unknown key, a wrong
 *   type, relative or equal root and state directories, a default runtime that
 *   is not configured.
 * @public
 */
export function resolveDaemonConfig(input: Record<string, unknown>): DaemonConfig {
  const cfg = structuredClone(input);
  validate ??= new Ajv({ useDefaults: true, allErrors: true, strict: false }).compile(daemonConfigSchema);
  if (!validate(cfg)) {
    throw invalidArgument(`invalid configuration: ${(validate.errors ?? []).map(describeError).join("; ")}`, "config");
  }
  const c = cfg as unknown as DaemonConfig;
  for (const key of ["root", "state"] as const) {
    if (!isAbsolute(c[key])) throw invalidArgument(`${key} must be an absolute path, got ${JSON.stringify(c[key])}`, key);
    c[key] = normalize(c[key]).replace(/\/+$/, "") || "/";
  }
  if (c.root === c.state) throw invalidArgument(`root and state must be different directories, both are ${JSON.stringify(c.root)}`, "state");
  if (!isAbsolute(c.socket)) throw invalidArgument(`socket must be an absolute path, got ${JSON.stringify(c.socket)}`, "socket");
  if (!(c.default_runtime in c.runtimes)) {
    throw invalidArgument(`default_runtime ${JSON.stringify(c.default_runtime)} is not among runtimes (${Object.keys(c.runtimes).join(", ")})`, "default_runtime");
  }
  for (const [name, rt] of Object.entries(c.runtimes)) {
    rt.root ??= `${c.state}/runtimes/${name}`;
  }
  if ((c.stream.tls_cert_file === undefined) !== (c.stream.tls_key_file === undefined)) {
    throw invalidArgument("stream.tls_cert_file and stream.tls_key_file go together: set both or neither", "stream");
  }
  return c;
}

/**
 * Parses TOML text into a {@link DaemonConfig}, defaults filled in.
 *
 * @throws `InvalidArgument` for a TOML syntax error (with its line) or an
 *   invalid value.
 * @public
 */
export function parseDaemonConfig(toml: string): DaemonConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(toml) as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`configuration is not valid TOML: ${(err as Error).message.split("\n")[0]}`, "config");
  }
  return resolveDaemonConfig(raw);
}

/** The configuration with every default. @public */
export function defaultDaemonConfig(): DaemonConfig {
  return resolveDaemonConfig({});
}
