/** The service panel: is this instance current, connected, and what did it refuse. */
import type { ServiceStatus } from "../service.ts";
import { humanSeconds, utc } from "./format.ts";

function Yes(props: { ok: boolean; yes: string; no: string }) {
  return <span class={props.ok ? "ok" : "bad"}>{props.ok ? props.yes : props.no}</span>;
}

function Lag(props: { lag: ServiceStatus["lag"] }) {
  if (props.lag.length === 0) return <p>No partition assigned yet.</p>;
  return (
    <table class="compact">
      <caption>Consumer lag by partition</caption>
      <thead>
        <tr>
          <th scope="col">topic</th>
          <th scope="col">partition</th>
          <th scope="col">lag</th>
        </tr>
      </thead>
      <tbody>
        {props.lag.map((l) => (
          <tr>
            <td>{l.topic}</td>
            <td class="num">{l.partition}</td>
            <td class="num">{l.lag}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function DeadLetters(props: { dl: ServiceStatus["deadLetters"] }) {
  const reasons = Object.entries(props.dl.byReason);
  return (
    <section aria-labelledby="dead-letters">
      <h3 id="dead-letters">Dead letters</h3>
      <p>
        {reasons.length === 0
          ? "No message refused."
          : reasons.map(([reason, n]) => `${reason}: ${n}`).join(", ")}
      </p>
      {props.dl.recent.length > 0 && (
        <table class="compact">
          <caption>
            Last refused messages of {props.dl.recent[0]?.topic}: where they lie and why (their bytes are on
            the dead-letter topic)
          </caption>
          <thead>
            <tr>
              <th scope="col">refused at</th>
              <th scope="col">partition</th>
              <th scope="col">offset</th>
              <th scope="col">reason</th>
            </tr>
          </thead>
          <tbody>
            {props.dl.recent.map((d) => (
              <tr>
                <td>
                  <time datetime={d.at}>{d.at.slice(11, 19)}</time>
                </td>
                <td class="num">{d.partition}</td>
                <td class="num">{d.offset}</td>
                <td>{d.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function ServicePanel(props: { status: ServiceStatus }) {
  const s = props.status;
  return (
    <section class="panel" aria-labelledby="service">
      <h2 id="service">Service</h2>
      <dl>
        <dt>version</dt>
        <dd>{s.version}</dd>
        <dt>replica</dt>
        <dd>{s.replica}</dd>
        <dt>shard</dt>
        <dd>
          {s.shard.index} of {s.shard.total}
        </dd>
        <dt>ready</dt>
        <dd>
          <Yes ok={s.ready} yes="ready" no={`not ready: ${s.notReadyReason ?? ""}`} />
        </dd>
        <dt>replay</dt>
        <dd>
          {s.replay.caughtUp
            ? `caught up (replay took ${humanSeconds(s.replay.durationSeconds)})`
            : `replaying: ${(s.replay.progress * 100).toFixed(1)}%`}
        </dd>
        <dt>Kafka</dt>
        <dd>
          <Yes ok={s.kafka.connected} yes="connected" no="not connected" />
        </dd>
        <dt>tests</dt>
        <dd>
          {s.tests} known, {s.retiredTests} retired
        </dd>
        <dt>last event applied</dt>
        <dd>{s.lastAppliedAt === null ? "none yet" : utc(s.lastAppliedAt)}</dd>
        <dt>name collisions</dt>
        <dd>
          {s.nameCollisions.count === 0
            ? "none"
            : `${s.nameCollisions.count}: ${s.nameCollisions.recent.map((c) => `${c.test} (apart by ${c.apartBy})`).join(", ")}`}
        </dd>
      </dl>
      <Lag lag={s.lag} />
      <DeadLetters dl={s.deadLetters} />
    </section>
  );
}
