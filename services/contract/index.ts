/** The event contract (RunCompleted, TestRetired) shared by the producer SDK and the service. */
export { type Codec, createCodec, MAX_MESSAGE_BYTES } from "./codec.ts";
export {
  CodecError,
  type CodecErrorReason,
  type InvalidReason,
  ValidationError,
  type ValidationReason,
} from "./errors.ts";
export {
  type ByteSpan,
  type DecodedEvent,
  type EventFacts,
  LATEST_SCHEMA_VERSION,
  RESULTS,
  type Result,
  type RetirementFacts,
  type RunCompleted,
  type RunFacts,
  SCHEMA_VERSIONS,
  type SchemaVersion,
  type TestRetired,
  writerVersionFor,
} from "./event.ts";
export {
  createFactsReader,
  createFactsReaders,
  type FactsReader,
  factsOf,
  retirementFactsOf,
} from "./facts.ts";
export { crc64Avro, fingerprint, parsingCanonicalForm } from "./fingerprint.ts";
export {
  CONFLUENT_HEADER_BYTES,
  confluentFrame,
  confluentId,
  createRegistryReader,
  type FramingHint,
  framingHint,
  HINT_DETAIL,
  type RegistryReader,
  type RegistrySchema,
} from "./registry-framing.ts";
export { validateRetirement, validateRun } from "./validate.ts";
