/**
 * Which kafkajs log entries are news. kafkajs logs every failed response at error level,
 * including the broker's answers that only mean "not yet" (a coordinator still loading on a
 * fresh broker, a leader election under way), which it retries on its own. Those are normal on
 * a first start or a broker restart; if the retries run out, the operation itself fails and its
 * caller reports that. Shared by the service and the producer SDK.
 */

/** Broker errors that kafkajs retries and that a start or a leader change brings (their messages). */
const TRANSIENT_BROKER_ERRORS: ReadonlySet<string> = new Set([
  // GROUP_LOAD_IN_PROGRESS: also the transaction coordinator's answer to InitProducerId
  "The coordinator is loading and hence can't process requests for this group",
  "The group coordinator is not available",
  "This is not the correct coordinator for this group",
  "There is no leader for this topic-partition as we are in the middle of a leadership election",
  "This server is not the leader for that topic-partition",
]);

/** A kafkajs "Response <api>" entry carrying a broker error that it will retry by itself. */
export function isTransientBrokerAnswer(log: { message: string; error?: unknown }): boolean {
  return (
    log.message.startsWith("Response ") &&
    typeof log.error === "string" &&
    TRANSIENT_BROKER_ERRORS.has(log.error)
  );
}
