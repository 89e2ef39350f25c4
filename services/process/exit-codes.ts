/**
 * The exit codes of all four binaries (kymaros-api, kymaros-bridge, kymaros-publish,
 * kymaros-backfill): one table, so a script or a Pod's restart reason reads the same way
 * whichever binary stopped. The README's "Exit codes" table is held to this one by a test.
 */
export const EXIT = {
  /** Done (a CLI), or stopped cleanly on SIGTERM/SIGINT (a service). */
  ok: 0,
  /** Failed while running: the start failed, or the stop missed its deadline. */
  failed: 1,
  /** Bad configuration, flags or input: refused before anything was done. */
  config: 2,
  /** Kafka failed (CLIs): some records may have been acknowledged; the message says how many. */
  kafka: 3,
  /** kymaros-backfill: some reports could not be converted; the others were published. */
  partial: 4,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
