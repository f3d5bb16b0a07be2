/**
 * Parser of `/proc/<pid>/net/dev`: per-interface counters of the network
 * namespace the process is in (pure).
 *
 * ## Format
 *
 * Two header lines, then one line per interface:
 *
 * ```
 *   eth0: RX_BYTES RX_PACKETS RX_ERRS RX_DROP RX_FIFO RX_FRAME RX_COMPRESSED RX_MULTICAST TX_BYTES TX_PACKETS TX_ERRS TX_DROP ...
 * ```
 *
 * @packageDocumentation
 */

/**
 * Counters of one network interface.
 *
 * @public
 */
export interface NetInterfaceSample {
  /** Interface name, as in `/proc/<pid>/net/dev` (CRI `NetworkInterfaceUsage.name`). */
  name: string;
  /** Cumulative bytes received (CRI `rx_bytes`). */
  rxBytes: bigint;
  /** Cumulative receive errors (CRI `rx_errors`). */
  rxErrors: bigint;
  /** Cumulative bytes transmitted (CRI `tx_bytes`). */
  txBytes: bigint;
  /** Cumulative transmit errors (CRI `tx_errors`). */
  txErrors: bigint;
  /** Cumulative packets received (the CRI metrics only). */
  rxPackets?: bigint | undefined;
  /** Cumulative received packets dropped (the CRI metrics only). */
  rxDropped?: bigint | undefined;
  /** Cumulative packets transmitted (the CRI metrics only). */
  txPackets?: bigint | undefined;
  /** Cumulative transmitted packets dropped (the CRI metrics only). */
  txDropped?: bigint | undefined;
}

/**
 * Parses `/proc/<pid>/net/dev`; the loopback interface (`lo`) is left out,
 * as the kubelet and cAdvisor leave it out.
 *
 * @public
 */
export function parseNetDev(text: string): NetInterfaceSample[] {
  const out: NetInterfaceSample[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    if (name === "" || name === "lo" || name.includes("|")) continue;
    const f = line.slice(colon + 1).trim().split(/\s+/);
    if (f.length < 16 || !f.every((x) => /^\d+$/.test(x))) continue;
    const n = (i: number): bigint => BigInt(f[i] as string);
    out.push({ name, rxBytes: n(0), rxErrors: n(2), txBytes: n(8), txErrors: n(10), rxPackets: n(1), rxDropped: n(3), txPackets: n(9), txDropped: n(11) });
  }
  return out;
}
