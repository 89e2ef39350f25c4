export { type IngestResult, ingest, type Refusal, type RejectReason } from "./ingest.ts";
