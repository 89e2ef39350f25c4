/**
 * The tests table: failing first by default, every control a plain link or GET form, so that it
 * works with JavaScript off and the URL says what is shown.
 */
import { RESULTS } from "../../../contract/index.ts";
import { MAX_FILTER, queryString, type Sort, type TestsQuery } from "../query.ts";
import { SCORE_THRESHOLD, type TestRow } from "../row.ts";
import type { TestsPage } from "../tests.ts";
import { humanSeconds, utcMinutes } from "./format.ts";

const FAILING_FIRST = ["fail", "partial", "pass"] as const;

const COLUMNS: { sort: Sort; label: string }[] = [
  { sort: "test", label: "test" },
  { sort: "result", label: "last result" },
  { sort: "score", label: "score" },
  { sort: "rto", label: "RTO" },
  { sort: "age", label: "backup age" },
  { sort: "completed", label: "last run (UTC)" },
];

function Header(props: { q: TestsQuery; sort: Sort; label: string }) {
  const { q, sort } = props;
  const active = q.sort === sort;
  const order = active && q.order === "asc" ? "desc" : "asc";
  const sorted = active ? (q.order === "asc" ? "ascending" : "descending") : undefined;
  return (
    <th scope="col" aria-sort={sorted}>
      <a href={`/${queryString(q, { sort, order, page: 1 })}`}>
        {props.label}
        {active ? (q.order === "asc" ? " ▲" : " ▼") : ""}
      </a>
    </th>
  );
}

function Score(props: { score: number }) {
  const low = props.score < SCORE_THRESHOLD;
  return (
    <td class={low ? "num low" : "num"} data-value={props.score}>
      {props.score}
      {low && <span class="mark"> below {SCORE_THRESHOLD}</span>}
    </td>
  );
}

function Rto(props: { row: TestRow }) {
  const { rtoSeconds: rto, rtoTargetSeconds: target } = props.row;
  if (rto === null) return <td class="none">none</td>;
  const over = target !== null && rto > target;
  return (
    <td class={over ? "num low" : "num"} data-value={rto}>
      {rto} s{target !== null && <span class="target"> of {target} s target</span>}
      {over && <span class="mark"> over</span>}
    </td>
  );
}

function Row(props: { row: TestRow }) {
  const r = props.row;
  const where = [r.namespace, r.cluster].filter((x) => x !== undefined && x !== "").join(" / ");
  return (
    <tr class={r.result}>
      <th scope="row" class="name">
        {r.test}
        {where !== "" && <span class="where">{where}</span>}
      </th>
      <td>
        <span class={`result ${r.result}`}>{r.result}</span>
      </td>
      <Score score={r.score} />
      <Rto row={r} />
      {r.backupAgeSeconds === null ? (
        <td class="none">none</td>
      ) : (
        <td class="num" data-value={r.backupAgeSeconds}>
          {humanSeconds(r.backupAgeSeconds)}
        </td>
      )}
      <td>
        <time datetime={r.completedAt}>{utcMinutes(r.completedAt)}</time>
      </td>
      <td class="num" data-value={r.runs.pass}>
        {r.runs.pass}
      </td>
      <td class="num" data-value={r.runs.fail}>
        {r.runs.fail}
      </td>
      <td class="num" data-value={r.runs.partial}>
        {r.runs.partial}
      </td>
    </tr>
  );
}

function Filter(props: { q: TestsQuery }) {
  const { q } = props;
  return (
    <form method="get" action="/" class="filter">
      <label for="f-test">test name contains</label>
      <input id="f-test" name="test" type="search" value={q.test} maxlength={MAX_FILTER} />
      <label for="f-result">last result</label>
      <select id="f-result" name="result">
        <option value="" selected={q.result.length === 0}>
          any
        </option>
        {RESULTS.map((r) => (
          <option value={r} selected={q.result.length === 1 && q.result[0] === r}>
            {r}
          </option>
        ))}
      </select>
      {q.sort !== "result" && <input type="hidden" name="sort" value={q.sort} />}
      {q.order !== "asc" && <input type="hidden" name="order" value={q.order} />}
      <button type="submit">filter</button>
    </form>
  );
}

function Counts(props: { q: TestsQuery; page: TestsPage }) {
  const { q, page } = props;
  return (
    <p class="counts">
      <a href={`/${queryString(q, { result: [], page: 1 })}`}>{page.total} tests</a>
      {FAILING_FIRST.map((r) => (
        <>
          {" · "}
          <a class={`result ${r}`} href={`/${queryString(q, { result: [r], page: 1 })}`}>
            {page.byResult[r]} {r}
          </a>
        </>
      ))}
    </p>
  );
}

function Pager(props: { q: TestsQuery; page: TestsPage }) {
  const { q, page } = props;
  const link = (n: number, label: string) =>
    n >= 1 && n <= page.pages && n !== page.page ? (
      <a href={`/${queryString(q, { page: n })}`}>{label}</a>
    ) : (
      <span aria-disabled="true">{label}</span>
    );
  return (
    <nav class="pager" aria-label="pages">
      {link(1, "first")} {link(page.page - 1, "previous")}{" "}
      <span>
        page {page.page} of {page.pages} ({page.matched} matching)
      </span>{" "}
      {link(page.page + 1, "next")} {link(page.pages, "last")}
    </nav>
  );
}

export function TestsSection(props: { q: TestsQuery; page: TestsPage }) {
  const { q, page } = props;
  return (
    <section aria-labelledby="tests">
      <h2 id="tests">Tests</h2>
      {page.revision === null ? (
        <p>The log is still being replayed: tests show once the service caught up, as on /metrics.</p>
      ) : (
        <>
          <Counts q={q} page={page} />
          <Filter q={q} />
          <section class="scroll" aria-label="tests table" tabindex={0}>
            <table class="tests">
              <caption>Latest run of each test, as /metrics shows it; runs counted by result</caption>
              <thead>
                <tr>
                  {COLUMNS.map((c) => (
                    <Header q={q} sort={c.sort} label={c.label} />
                  ))}
                  <th scope="col">pass</th>
                  <th scope="col">fail</th>
                  <th scope="col">partial</th>
                </tr>
              </thead>
              <tbody>
                {page.rows.map((r) => (
                  <Row row={r} />
                ))}
              </tbody>
            </table>
          </section>
          {page.rows.length === 0 && <p>No test matches.</p>}
          <Pager q={q} page={page} />
        </>
      )}
    </section>
  );
}
