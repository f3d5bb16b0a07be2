/**
 * The Node.js flags crikitd runs with (`npm run crikitd` passes them; keep
 * package.json's script and this list the same, a test checks it).
 *
 * - `--max-semi-space-size=1`: a 1 MiB young-generation semi-space instead of
 *   V8's default of up to 16 MiB. A CRI daemon allocates many short-lived
 *   objects per call (messages, headers, promises); with the default, the
 *   young generation and then the old space grew to their limits: idle RSS
 *   100 MiB, 230-240 MiB after 3,000 ListPodSandbox calls.
 * - `--optimize-for-size`: V8 favours smaller heaps and code over speed.
 *
 * Together, measured on crikitd compiled, Node 24: idle RSS 86 MiB, 97 MiB
 * after the same 3,000 calls, with the same time per call (1.4 ms) within
 * the noise of the machine.
 */
export const CRIKITD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=1", "--optimize-for-size"];
