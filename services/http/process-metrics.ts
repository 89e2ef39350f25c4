/**
 * The process metrics every process of the project serves beside its own (prom-client's
 * defaults), less those that would make `promtool check metrics` refuse the endpoint.
 */
import { collectDefaultMetrics, type Registry, type RegistryContentType } from "prom-client";

/**
 * prom-client's default gauges nodejs_active_{handles,requests,resources}_total end in _total,
 * a suffix the exposition formats reserve for counters, so `promtool check metrics` refuses the
 * endpoint. Each equals the sum of the gauge of the same name without _total (one series per
 * handle, request or resource type), so dropping them loses nothing: `sum(nodejs_active_handles)`.
 */
const MISNAMED_DEFAULTS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export function collectProcessMetrics<T extends RegistryContentType>(register: Registry<T>): void {
  collectDefaultMetrics({ register });
  for (const name of MISNAMED_DEFAULTS) register.removeSingleMetric(name);
}
