#!/usr/bin/env node
// API reports, one per entry point of package.json's `exports`.
//
//   node scripts/api-report.mjs            # check: fail when a report differs (npm run api:check)
//   node scripts/api-report.mjs --local    # write the reports (npm run api:update)
//
// Each entry point gets the configuration of api-extractor.json with its own
// .d.ts and report: `.` -> etc/crikit.api.md, `./naming` -> etc/crikit-naming.api.md.
// Links and forgotten exports are checked in the root entry point only (the
// others name types of crikit/cri, and the line numbers of those warnings
// would change the reports with every edit of a documented file).
// The doc models (temp/api/<name>.api.json) feed `npm run docs`.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CompilerState, Extractor, ExtractorConfig } from "@microsoft/api-extractor";

const { values } = parseArgs({ options: { local: { type: "boolean", default: false }, only: { type: "string" } } });
const root = fileURLToPath(new URL("..", import.meta.url));
const packageJsonFullPath = `${root}package.json`;
const pkg = JSON.parse(readFileSync(packageJsonFullPath, "utf8"));
const base = ExtractorConfig.loadFile(`${root}api-extractor.json`);

/** [report name, .d.ts] for each entry point with types. */
export const entries = Object.entries(pkg.exports)
  .filter(([, target]) => typeof target === "object" && target.types)
  .map(([subpath, target]) => [subpath === "." ? "crikit" : `crikit-${subpath.slice(2)}`, target.types.slice(2)]);

// The declarations of crikit/transport and crikit/client reference the DOM lib
// (scripts/dts-lib-refs.mjs); the other entry points are analysed in a program
// without it, where no DOM global (such as Image) shadows a CRI type's name.
const domEntries = new Set(["crikit-transport", "crikit-client"]);
const compilerStates = new Map();

let failed = 0;
for (const [name, dts] of entries) {
  if (values.only !== undefined && !name.includes(values.only)) continue;
  const configObject = {
    ...base,
    projectFolder: root,
    mainEntryPointFilePath: `${root}${dts}`,
    apiReport: { ...base.apiReport, enabled: true, reportFileName: name, reportFolder: `${root}etc/`, reportTempFolder: `${root}temp/` },
    docModel: { enabled: true, apiJsonFilePath: `${root}temp/api/${name}.api.json` },
  };
  if (name !== "crikit") {
    // A link to, or a type from, another entry point (the CRI messages of
    // crikit/cri) does not resolve within this one; the root entry, which
    // exports everything but the transport and the client, checks both.
    const off = { logLevel: "none", addToApiReportFile: false };
    const extractorMessageReporting = { ...base.messages?.extractorMessageReporting, "ae-unresolved-link": off, "ae-forgotten-export": off };
    configObject.messages = { ...base.messages, extractorMessageReporting };
  }
  const config = ExtractorConfig.prepare({ configObject, configObjectFullPath: `${root}api-extractor.json`, packageJsonFullPath });
  const dom = domEntries.has(name);
  const group = entries.filter(([n]) => domEntries.has(n) === dom).map(([, d]) => `${root}${d}`);
  if (!compilerStates.has(dom)) compilerStates.set(dom, CompilerState.create(config, { additionalEntryPoints: group }));
  const compilerState = compilerStates.get(dom);
  const result = Extractor.invoke(config, { localBuild: values.local, compilerState, showVerboseMessages: false, messageCallback: (m) => { if (m.logLevel === "info" || m.logLevel === "verbose") m.handled = true; } });
  if (!result.succeeded) {
    failed++;
    console.error(`${name}: ${result.apiReportChanged ? "the API report changed (run npm run api:update and commit etc/)" : `${result.errorCount} errors`}`);
  } else {
    console.log(`${name}: ok${result.apiReportChanged ? " (report updated)" : ""}`);
  }
}
process.exitCode = failed ? 1 : 0;
