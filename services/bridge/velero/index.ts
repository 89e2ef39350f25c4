/** Backup age from Velero: the lookup, the outbox step that applies it, and its counter. */
export { withBackupAge } from "./enrich.ts";
export { type BackupLookupService, createBackupLookup, LOOKUP_RESULTS, type LookupResult } from "./lookup.ts";
export { createLookupCounter } from "./metrics.ts";
export { createVeleroTransport, type VeleroTransport } from "./transport.ts";
