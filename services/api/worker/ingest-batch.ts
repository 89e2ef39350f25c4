/**
 * A packed batch through ingest, on the worker: each message read where it lies, and the
 * refused ones copied back out with their bytes, since the main thread no longer holds them.
 */
import { type FactsReader, HINT_DETAIL } from "../../contract/index.ts";
import type { State } from "../core/index.ts";
import { ingest } from "../ingest/index.ts";
import {
  type BatchOutcome,
  KEY_LENGTH,
  KEY_START,
  MESSAGE_FIELDS,
  type NameCollision,
  type PackedBatch,
  type RefusedMessage,
  refusedMessage,
  VALUE_LENGTH,
  VALUE_START,
} from "./protocol.ts";

/** Which identity setting keeps apart the identities of a colliding name that have runs. */
function collision(state: State, test: string): NameCollision {
  const namespaces = new Set<string>();
  let withRuns = 0;
  for (const t of state.byName.get(test) ?? []) {
    if (!t.hasRuns) continue;
    withRuns += 1;
    namespaces.add(t.namespace);
  }
  return { test, apartBy: namespaces.size === withRuns ? "namespace" : "cluster" };
}

export function ingestBatch(read: FactsReader, state: State, batch: PackedBatch): BatchOutcome {
  const data = Buffer.from(batch.data);
  const { index } = batch;
  const hints = batch.hints === undefined ? undefined : new Map(batch.hints);
  let applied = 0;
  let retired = 0;
  let duplicate = 0;
  const refused: RefusedMessage[] = [];
  for (let i = 0, at = 0; at < index.length; i++, at += MESSAGE_FIELDS) {
    const r = ingest(
      read,
      state,
      data,
      index[at + KEY_START] as number,
      index[at + KEY_LENGTH] as number,
      index[at + VALUE_START] as number,
      index[at + VALUE_LENGTH] as number,
    );
    if (r === "applied") applied += 1;
    else if (r === "retired") {
      applied += 1;
      retired += 1;
    } else if (r === "duplicate") duplicate += 1;
    else {
      const hint = hints?.get(i);
      if (hint === undefined) refused.push(refusedMessage(data, index, i, r.reason, r.detail));
      else refused.push(refusedMessage(data, index, i, "unsupported_framing", HINT_DETAIL[hint]));
    }
  }
  return {
    applied,
    retired,
    duplicate,
    refused,
    tests: state.identities.length,
    retiredTests: state.retiredTests,
    collidingNames: state.collidingNames,
    newCollisions: state.newCollisions.splice(0).map((test) => collision(state, test)),
  };
}
