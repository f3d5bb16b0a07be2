import { describe, it } from "node:test";
import assert from "node:assert/strict";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { ImageService, RuntimeService } from "../../src/cri.js";
import type { CriHandlerContext, ImageServiceImpl, RuntimeServiceImpl } from "../../src/transport/index.js";

// Compile-time checks (npm run typecheck): connect's context is a CriHandlerContext,
// and crikit's implementation types are connect's, method for method.
type Assignable<A, B> = [A] extends [B] ? true : false;
const contextFits: Assignable<HandlerContext, CriHandlerContext> = true;
const runtimeFits: Assignable<Required<RuntimeServiceImpl>, ServiceImpl<typeof RuntimeService>> = true;
const imageFits: Assignable<Required<ImageServiceImpl>, ServiceImpl<typeof ImageService>> = true;
const runtimeBack: Assignable<ServiceImpl<typeof RuntimeService>, Required<RuntimeServiceImpl>> = true;

describe("crikit's service implementation types", () => {
  it("match connect's ServiceImpl and HandlerContext", () => {
    assert.deepEqual([contextFits, runtimeFits, imageFits, runtimeBack], [true, true, true, true]);
  });
});
