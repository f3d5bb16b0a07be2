import { describe, it } from "node:test";
import assert from "node:assert/strict";
import * as crikit from "../../src/index.js";

describe("network exports from the package entry point", () => {
  const values = [
    "CniManager",
    "createNetnsManager",
    "createCniExec",
    "CniPluginError",
    "isCniPluginError",
    "CniConfDir",
    "parseCniConfigFile",
    "buildCniConfigSet",
    "parseCniResult",
    "selectPodIps",
    "buildCniArgs",
    "buildCapabilityArgs",
    "toCniPortMappings",
    "bandwidthFromAnnotations",
    "cniVersionHas",
    "networkNotReadyReason",
    "createFileAttachmentCache",
  ];
  for (const name of values) it(`exports ${name}`, () => assert.notEqual((crikit as Record<string, unknown>)[name], undefined));
});
