/**
 * How fresh the view of each partition is: the time since a fetch last answered for it. kafkajs
 * reports fetches per broker, not per partition, so a partition counts as fetched when its
 * leader answered a fetch (an empty answer too: nothing new is news) or when its records were
 * delivered. While a leader is away, its partitions age; when another broker takes over, they
 * are fresh again as soon as the new leader answers.
 */
export interface PartitionAge {
  partition: number;
  seconds: number;
}

export class Freshness {
  readonly #byNode = new Map<number, number>();
  readonly #byPartition = new Map<number, number>();
  #leaders = new Map<number, number>();
  #since: number;

  /** `since`: when the source started (ages count from there before the first fetch). */
  constructor(since: number) {
    this.#since = since;
  }

  restart(at: number): void {
    this.#since = at;
  }

  /** A fetch from broker `nodeId` answered. */
  fetched(nodeId: number, at: number): void {
    this.#byNode.set(nodeId, at);
  }

  /** Records of `partition` were delivered. */
  delivered(partition: number, at: number): void {
    this.#byPartition.set(partition, at);
  }

  /** The partitions' current leaders, from the cluster's metadata. */
  leaders(leaders: ReadonlyMap<number, number>): void {
    this.#leaders = new Map(leaders);
  }

  ages(partitions: Iterable<number>, now: number): PartitionAge[] {
    const ages: PartitionAge[] = [];
    for (const partition of partitions) {
      const leader = this.#leaders.get(partition);
      const last = Math.max(
        this.#since,
        this.#byPartition.get(partition) ?? Number.NEGATIVE_INFINITY,
        leader === undefined
          ? Number.NEGATIVE_INFINITY
          : (this.#byNode.get(leader) ?? Number.NEGATIVE_INFINITY),
      );
      ages.push({ partition, seconds: Math.max(0, (now - last) / 1000) });
    }
    return ages;
  }
}
