/**
 * The TestRetired of a deleted RestoreTest, as the producer SDK takes it. Identity: the
 * RestoreTest's name and namespace, and the bridge's cluster (what its runs carry). retiredAt:
 * the object's deletionTimestamp when the API server set one (the moment the deletion was asked
 * for: every run that ended before it belongs to the old test), else the time the bridge saw
 * the deletion (never earlier than the deletion, so no run of the old test outlives it).
 */
import type { RetirementInput } from "../../producer/retirement-input.ts";
import type { DeletedTest } from "./tracker.ts";

export const DELETED_REASON = "RestoreTest deleted (kymaros-bridge)";

export function retirementOf(test: DeletedTest, cluster: string | null, seenAt: number): RetirementInput {
  return {
    test: test.test,
    namespace: test.namespace,
    cluster,
    retiredAt: test.deletedAt ?? seenAt,
    reason: DELETED_REASON,
  };
}
