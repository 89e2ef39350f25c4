import type { State } from "../../services/api/core/index.ts";
import { createDomainView } from "../../services/api/metrics/render/domain.ts";
import { createSnapshots, type Snapshots } from "../../services/api/metrics/render/snapshots.ts";
import { createSnapshotStore, type SnapshotStore } from "../../services/api/metrics/serve/snapshot-store.ts";

/** The renderer and the store wired on one thread, as the service wires them across two. */
export function localSnapshots(state: State): { store: SnapshotStore; renderer: Snapshots } {
  let renderer: Snapshots | undefined;
  const store = createSnapshotStore((format) => renderer?.request(format));
  renderer = createSnapshots(createDomainView(state), () => state.revision, { onSnapshot: store.put });
  return { store, renderer };
}
