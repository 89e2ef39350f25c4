/** The lookups' counter, on the bridge's /metrics. */
import { Counter, type Registry } from "prom-client";
import { LOOKUP_RESULTS, type LookupResult } from "./lookup.ts";

export function createLookupCounter(registry: Registry): (result: LookupResult) => void {
  const counter = new Counter({
    name: "kymaros_bridge_backup_lookups_total",
    help: "Backup ages looked up in Velero, by result: found, gone (the Restore or Backup no longer exists: no age published), untimed (no usable timestamp: no age published), error (one failed attempt, retried)",
    labelNames: ["result"],
    registers: [registry],
  });
  for (const result of LOOKUP_RESULTS) counter.labels(result).inc(0);
  return (result) => counter.labels(result).inc();
}
