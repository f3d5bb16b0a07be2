/**
 * The Node.js flags crikitd runs with (`npm run crikitd` passes them; keep
 * package.json's script and this list the same, a test checks it).
 *
 * - `--max-semi-space-size=4`: a 4 MiB young-generation semi-space instead of
 *   V8's default of up to 16 MiB. A CRI daemon allocates many short-lived
 *   objects per call (messages, headers, promises); with the default, the
 *   young generation and then the old space grew to their limits: idle RSS
 *   100 MiB, 230-240 MiB after 3,000 ListPodSandbox calls.
 * - `--optimize-for-size`: V8 favours smaller heaps and code over speed.
 *
 * Chosen by measurement (server in a child process, grpc-js client, 2,000
 * sequential calls after 500 to warm up, two runs each on a machine busy
 * with other tests; RSS after 5,000 calls):
 *
 * | flags                                   | Version p50 | server CPU/call | ContainerStatus p50 | RSS idle / after |
 * | ---                                     | ---         | ---             | ---                 | ---              |
 * | none                                    | 0.235 ms    | 151 µs          | 0.293 ms            | 89 / 151 MiB     |
 * | `--max-semi-space-size=1`               | 0.268 ms    | 180 µs          | 0.343 ms            | 80 / 116 MiB     |
 * | `--max-semi-space-size=4`               | 0.232 ms    | 152 µs          | 0.293 ms            | 84 / 122 MiB     |
 * | `--max-semi-space-size=1 --optimize-for-size` (before) | 0.258-0.287 ms | 191-212 µs | 0.342-0.407 ms | 77-79 / 92-97 MiB |
 * | `--max-semi-space-size=4 --optimize-for-size` | 0.244-0.248 ms | 179-198 µs | 0.315-0.331 ms | 77 / 95-97 MiB |
 *
 * `--optimize-for-size` is what keeps RSS down under calls; with it, a 4 MiB
 * semi-space costs no memory over 1 MiB and takes 10-15% off a small call
 * (fewer scavenges).
 */
export const CRIKITD_NODE_FLAGS: readonly string[] = ["--max-semi-space-size=4", "--optimize-for-size"];
