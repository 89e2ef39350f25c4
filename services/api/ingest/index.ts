export { type BatchResult, ingestBatch, type RawMessage, type Reject } from "./batch.ts";
export { type IngestResult, ingest, type RejectReason } from "./ingest.ts";
