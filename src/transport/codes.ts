import { Code } from "@connectrpc/connect";
import { ErrorCode, errorCodeOf } from "../errors.js";

/**
 * The Connect `Code` for any thrown value: crikit error codes map one to one,
 * since both use the gRPC numbers.
 *
 * @public
 */
export function grpcCodeOf(err: unknown): Code {
  return ErrorCode[errorCodeOf(err)] as Code;
}
