/** The producer SDK: publish RunCompleted and TestRetired events to Kafka (see sdk.ts). */
import type { EventProducer } from "./sdk.ts";

export { DEFAULT_TOPIC } from "../config/topic.ts";
export { parseGoDuration, parseGoDurationNanos } from "../kymaros/go-duration.ts";
export {
  type Conversion,
  type ConvertedReport,
  convertReports,
  reportItems,
  reportToRun,
  type SkippedReport,
} from "../kymaros/restore-report.ts";
export { formatRfc3339, parseRfc3339, parseTimestamp } from "../kymaros/rfc3339.ts";
export {
  InputError,
  PublishError,
  type PublishErrorDetails,
  type PublishErrorKind,
  type PublishResult,
  type RetireResult,
} from "./errors.ts";
export { CLIENT_LOG_LEVELS, type ClientLogLevel } from "./log.ts";
export { type PreparedRetirement, type PreparedRun, prepare, prepareRetirement } from "./prepare.ts";
export { type RetirementInput, retirementFromJson, toRetirement } from "./retirement-input.ts";
export { RUN_FIELDS, type RunInput } from "./run-fields.ts";
export { runFromJson, runToJsonLine } from "./run-input.ts";
export {
  createProducer,
  DEFAULT_CLIENT_ID,
  type EventProducer,
  type ProducerOptions,
  type PublishManyOptions,
  type PublishOptions,
  type SendManyOptions,
} from "./sdk.ts";

/** @deprecated Renamed EventProducer: it retires tests too. */
export type RunProducer = EventProducer;
