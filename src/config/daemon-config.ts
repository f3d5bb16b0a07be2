/**
 * The daemon configuration: one TOML file, validated against a JSON Schema
 * (with ajv, which also fills in the defaults, so the schema below is the one
 * place where each default lives and is documented).
 *
 * The README's Configuration section shows every key with its default.
 *
 * @packageDocumentation
 */
import type { Ajv as AjvClass } from "ajv";
import { describeError, isLoopback, parseHostPort, parseUlimit } from "./config-values.js";
import type * as SmolToml from "smol-toml";
import { lazyRequire } from "../lazy.js";
import { isAbsolute, normalize } from "node:path";
import { invalidArgument } from "../errors.js";
import { runtimeHandlerSettings } from "./runtime-handler.js";

/** A runtime handler: how containers of a RuntimeClass are run. @public */
export interface RuntimeHandlerConfig {
  /** Runtime type, which selects how `options` decode (for instance `io.containerd.runc.v2`). */
  type: string;
  /** The OCI runtime binary (runc, crun, ...), a path or a name on PATH; `options.BinaryName` when set. */
  binary: string;
  /** The runtime's `--root` state directory: `options.Root` when set, else `<state>/runtimes/<name>`. */
  root?: string;
  /** Go `path.Match` patterns of pod annotations passed through to the OCI spec. */
  pod_annotations: string[];
  /** Go `path.Match` patterns of container annotations passed through to the OCI spec. */
  container_annotations: string[];
  /** The runtime type's options, as a TOML table (what each key does: `runtimeHandlerSettings`). */
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
  /**
   * Size in bytes of the tmpfs each pod gets as its `/dev/shm`, shared by the pod's containers (not used by
   * pods in the host IPC namespace, whose containers get the host's `/dev/shm`).
   * @defaultValue 67108864 (64 MiB)
   */
  shm_size: number;
  /**
   * Resource limits of every container's process, as `NAME=SOFT:HARD` (CRI-O's `default_ulimits`; names as
   * in `ulimit`/`prlimit`: `nofile`, `nproc`, `core`, `memlock`, `stack`, ...). The default is what a
   * Kubernetes workload gets from containerd or CRI-O under their service units; an empty list sets none
   * (the container inherits the OCI runtime's limits). Raising a hard limit above the daemon's own needs
   * CAP_SYS_RESOURCE: without it crikit lowers such a value to the daemon's limit and warns.
   * @defaultValue ["nofile=1048576:1048576"]
   */
  default_ulimits: string[];
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
  /**
   * The Prometheus endpoint: `address` is `host:port` on loopback (`127.0.0.1:9090`, `[::1]:9090`,
   * `localhost:9090`), served at `/metrics`; empty turns it off.
   * @defaultValue `{ address: "" }`
   */
  metrics: { address: string };
  /**
   * Tracing: `endpoint` is an OTLP/HTTP traces URL (`http://127.0.0.1:4318/v1/traces`) spans are exported to;
   * empty turns tracing off. `sampling_ratio` is the share of traces started here that are sampled (a trace
   * context from the client keeps its own decision); `service_name` names the service in the spans.
   * @defaultValue `{ endpoint: "", sampling_ratio: 1, service_name: "crikitd" }`
   */
  tracing: { endpoint: string; sampling_ratio: number; service_name: string };
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
    default_ulimits: { ...stringArray, default: ["nofile=1048576:1048576"], description: "NAME=SOFT:HARD, as CRI-O's default_ulimits" },
    shm_size: { type: "integer", minimum: 4096, default: 64 * 1024 * 1024, description: "bytes of each pod's /dev/shm tmpfs" },
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
    metrics: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        address: { type: "string", default: "", description: "host:port of the Prometheus endpoint, on loopback; empty: off" },
      },
    },
    tracing: {
      type: "object",
      default: {},
      additionalProperties: false,
      properties: {
        endpoint: { type: "string", default: "", description: "OTLP/HTTP traces URL; empty: off" },
        sampling_ratio: { type: "number", minimum: 0, maximum: 1, default: 1 },
        service_name: { type: "string", default: "crikitd" },
      },
    },
  },
} as const;

// Loaded by the first configuration resolved or parsed.
const ajv = lazyRequire<{ Ajv: typeof AjvClass }>("ajv");
const smolToml = lazyRequire<typeof SmolToml>("smol-toml");

let validate: ReturnType<AjvClass["compile"]> | undefined;

/**
 * Validates a parsed configuration object and fills in the defaults.
 *
 * @throws `InvalidArgument` naming the offending key: unknown, wrong type,
 *   relative or equal root and state, an unconfigured default runtime, a
 *   runtime option that cannot be honoured (`runtimeHandlerSettings`).
 * @public
 */
export function resolveDaemonConfig(input: Record<string, unknown>): DaemonConfig {
  const cfg = structuredClone(input);
  validate ??= new (ajv().Ajv)({ useDefaults: true, allErrors: true, strict: false }).compile(daemonConfigSchema);
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
  const rawRuntimes = (input["runtimes"] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  c.default_ulimits.forEach((u, i) => parseUlimit(u, `default_ulimits[${i}]`));
  for (const [name, rt] of Object.entries(c.runtimes)) {
    // The options' binary and root (BinaryName, Root) become the handler's own;
    // runtimeHandlerSettings refuses what cannot be honoured, naming the key.
    const s = runtimeHandlerSettings(name, rt);
    const raw = rawRuntimes[name] ?? {};
    for (const [key, optionKey, value] of [
      ["binary", "BinaryName", s.binary],
      ["root", "Root", s.root],
    ] as const) {
      if (value === undefined) continue;
      if (raw[key] !== undefined && raw[key] !== value) {
        throw invalidArgument(
          `runtimes.${name}.${key} (${JSON.stringify(raw[key])}) and runtimes.${name}.options.${optionKey} (${JSON.stringify(value)}) disagree: keep one of them`,
          `runtimes.${name}.options.${optionKey}`,
        );
      }
      rt[key] = value;
    }
    rt.root ??= `${c.state}/runtimes/${name}`;
  }
  if (c.metrics.address !== "") {
    const hp = parseHostPort(c.metrics.address);
    if (hp === undefined) throw invalidArgument(`metrics.address must be host:port, got ${JSON.stringify(c.metrics.address)}`, "metrics.address");
    if (!isLoopback(hp.host)) throw invalidArgument(`metrics.address must be on loopback (127.0.0.1, ::1 or localhost), got ${JSON.stringify(c.metrics.address)}`, "metrics.address");
  }
  if (c.tracing.endpoint !== "") {
    let u: URL | undefined;
    try {
      u = new URL(c.tracing.endpoint);
    } catch {
      u = undefined;
    }
    if (u === undefined || (u.protocol !== "http:" && u.protocol !== "https:")) {
      throw invalidArgument(`tracing.endpoint must be an http or https URL, got ${JSON.stringify(c.tracing.endpoint)}`, "tracing.endpoint");
    }
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
    raw = smolToml().parse(toml) as Record<string, unknown>;
  } catch (err) {
    throw invalidArgument(`configuration is not valid TOML: ${(err as Error).message.split("\n")[0]}`, "config");
  }
  return resolveDaemonConfig(raw);
}

/** The configuration with every default. @public */
export function defaultDaemonConfig(): DaemonConfig {
  return resolveDaemonConfig({});
}
