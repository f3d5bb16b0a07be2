/**
 * Remove every pod sandbox and container a CRI server holds, through the
 * CRI itself (the daemon then stops its monitors, unmounts rootfs, runs CNI
 * DEL and removes the netns). Used before stopping a daemon, also after a
 * failed run; errors are collected, not thrown.
 */
import type { CriClient, Msg } from "../../test/helpers/cri-client.js";

/** Stop and remove all pods and containers; returns problems met. */
export async function removeAllPods(client: CriClient, options: { concurrency?: number } = {}): Promise<string[]> {
  const problems: string[] = [];
  const note = (what: string) => (e: unknown): void => {
    problems.push(`${what}: ${(e as { details?: string; message?: string }).details ?? (e as Error).message}`);
  };
  const pool = async <T>(items: T[], fn: (t: T) => Promise<void>): Promise<void> => {
    let i = 0;
    const worker = async (): Promise<void> => {
      while (i < items.length) {
        const t = items[i++] as T;
        await fn(t);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  };
  const ctrs = await client.unary("ListContainers", {}, { timeoutMs: 60_000 }).catch((e: unknown) => (note("ListContainers")(e), { containers: [] as Msg[] }));
  await pool((ctrs["containers"] ?? []) as Msg[], async (c) => {
    await client.unary("StopContainer", { container_id: c["id"], timeout: 0 }, { timeoutMs: 60_000 }).catch(note(`StopContainer ${String(c["id"])}`));
    await client.unary("RemoveContainer", { container_id: c["id"] }, { timeoutMs: 60_000 }).catch(note(`RemoveContainer ${String(c["id"])}`));
  });
  const pods = await client.unary("ListPodSandbox", {}, { timeoutMs: 60_000 }).catch((e: unknown) => (note("ListPodSandbox")(e), { items: [] as Msg[] }));
  await pool((pods["items"] ?? []) as Msg[], async (p) => {
    await client.unary("StopPodSandbox", { pod_sandbox_id: p["id"] }, { timeoutMs: 60_000 }).catch(note(`StopPodSandbox ${String(p["id"])}`));
    await client.unary("RemovePodSandbox", { pod_sandbox_id: p["id"] }, { timeoutMs: 60_000 }).catch(note(`RemovePodSandbox ${String(p["id"])}`));
  });
  return problems;
}
