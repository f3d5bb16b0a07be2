#!/usr/bin/env node
/**
 * After `tsc`: makes each entry point named below one module, in place
 * (`dist/src/<dir>/index.js`), with esbuild.
 *
 * Why: Node's cost of importing a pure entry point is mostly per module, not
 * per byte. `crikit/spec` was 22 small modules (115 KB) costing 6.4 MiB of
 * memory and 14 ms over bare Node; the same code as one module costs about
 * 4 MiB and 6 ms. Only the entry's own folder is folded in: imports that
 * leave it (`../errors.js`, `../cri-enums.js`, packages) stay imports, so
 * every other entry point shares those modules and their classes
 * (`CrikitError` stays one class). Modules the folder loads on first use
 * through `createRequire` (`./cri-messages.js`, `../seccomp/profile.js`) stay
 * files of their own beside the bundle. Declarations (`.d.ts`) are not
 * touched.
 *
 * Usage: node scripts/bundle-entries.mjs
 */
import { rename } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
/** The entry folders bundled (under dist/src). */
const ENTRIES = ["spec"];

for (const name of ENTRIES) {
  const dir = resolve(root, "dist", "src", name);
  const entry = resolve(dir, "index.js");
  const out = resolve(dir, "index.bundle.tmp.js");
  await build({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node22",
    packages: "external",
    logLevel: "warning",
    plugins: [
      {
        name: "keep-outside-imports",
        setup(b) {
          b.onResolve({ filter: /^\.\.?\// }, (args) => {
            const target = resolve(args.resolveDir, args.path);
            if (target === dir || target.startsWith(dir + sep)) return undefined;
            // An import leaving the folder stays an import, relative to the bundle.
            let path = relative(dir, target).split(sep).join("/");
            if (!path.startsWith(".")) path = `./${path}`;
            return { path, external: true };
          });
        },
      },
    ],
  });
  await rename(out, entry);
  console.log(`bundle-entries: dist/src/${name}/index.js is one module`);
}
