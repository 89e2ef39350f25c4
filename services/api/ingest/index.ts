export {
  countResult,
  emptyTally,
  type IngestResult,
  ingest,
  type RejectReason,
  type Tally,
} from "./ingest.ts";
