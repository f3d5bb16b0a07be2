/**
 * Telemetry of crikit's steps: OpenTelemetry spans through
 * `@opentelemetry/api` (no SDK: the application registers one) and the
 * `crikit:step` diagnostics channel.
 *
 * @packageDocumentation
 */
export { runStep, stepChannelName } from "./step.js";
export type { StepMessage, StepName } from "./step.js";
