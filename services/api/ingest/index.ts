export { type BatchResult, ingestBatch, type PackedMessages, type RawMessage, type Reject } from "./batch.ts";
export { type IngestResult, ingest, type Refusal, type RejectReason } from "./ingest.ts";
