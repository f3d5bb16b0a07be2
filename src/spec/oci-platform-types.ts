/**
 * TypeScript types of the non-Linux platform sections of the OCI runtime
 * specification v1.2.1 `config.json` (`config-windows.json`,
 * `config-solaris.json`, `config-vm.json`, `config-zos.json`). See
 * `oci-types.ts`.
 *
 * @packageDocumentation
 */
/** @public A Windows device. */
export interface OciWindowsDevice {
  /** Device interface class GUID. */
  id: string;
  /** How `id` is interpreted; only `class` is defined. */
  idType: "class";
}

/** @public Windows-specific configuration. */
export interface OciWindows {
  /**
   * Layer folders the image relies on, from the topmost layer to the base, the last entry being the scratch
   * layer.
   */
  layerFolders: string[];
  /** Devices assigned to the container. */
  devices?: OciWindowsDevice[];
  /**
   * Limits: memory (bytes), CPU (count, shares, maximum) and storage (IOPS, bytes per second, sandbox size in
   * bytes).
   */
  resources?: {
    memory?: { limit?: number };
    cpu?: { count?: number; shares?: number; maximum?: number; affinity?: { mask?: number; group?: number } };
    storage?: { iops?: number; bps?: number; sandboxSize?: number };
  };
  /** Network settings: HNS endpoints, DNS search list, shared network namespace. */
  network?: {
    endpointList?: string[];
    allowUnqualifiedDNSQuery?: boolean;
    DNSSearchList?: string[];
    networkSharedContainerName?: string;
    networkNamespace?: string;
  };
  /** Group Managed Service Account credential spec (JSON). */
  credentialSpec?: Record<string, unknown>;
  /** The container is started to service the host (apply updates). */
  servicing?: boolean;
  /** Ignore disk flushes while the container boots. */
  ignoreFlushesDuringBoot?: boolean;
  /** Run the container in a Hyper-V utility VM (Hyper-V isolation). */
  hyperv?: { utilityVMPath?: string };
}

/** @public Solaris-specific configuration. */
export interface OciSolaris {
  /** SMF FMRI that must be online before the container's process starts. */
  milestone?: string;
  /** Maximum set of privileges the zone's processes may have. */
  limitpriv?: string;
  /** Maximum shared memory of the zone. */
  maxShmMemory?: string;
  /** CPU cap of the zone, in CPUs. */
  cappedCPU?: { ncpus?: string };
  /** Physical and swap memory caps of the zone. */
  cappedMemory?: { physical?: string; swap?: string };
  /** Automatic virtual network interfaces of the zone. */
  anet?: Array<{
    linkname?: string;
    lowerLink?: string;
    allowedAddress?: string;
    configureAllowedAddress?: string;
    defrouter?: string;
    macAddress?: string;
    linkProtection?: string;
  }>;
}

/** @public Configuration for virtual-machine-based containers. */
export interface OciVm {
  /** Hypervisor executable and its parameters. */
  hypervisor?: { path: string; parameters?: string[] };
  /** Guest kernel, its parameters and initrd. */
  kernel: { path: string; parameters?: string[]; initrd?: string };
  /** Guest root disk image and its format. */
  image?: { path: string; format: "raw" | "qcow2" | "vdi" | "vmdk" | "vhd" };
}

/** @public z/OS-specific configuration. */
export interface OciZos {
  /** Namespaces to create or join, as {@link OciLinux.namespaces}. */
  namespaces?: Array<{ type: "mount" | "pid" | "uts" | "ipc"; path?: string }>;
}
