/**
 * The status page in a real browser (Debian's Chromium, driven by playwright-core) against the
 * real service and the real broker: no console error, the table's values equal /metrics (parsed
 * here, independently), filter, sort and pages by links, a hostile name rendered as text,
 * axe-core's serious and critical rules, JavaScript off, and the README's screenshot.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import type { RunCompleted } from "../../services/contract/index.ts";
import { createProducer } from "../../services/producer/index.ts";
import { labelValue, parseSamples } from "../support/exposition.ts";
import { createTopic, testBrokers, testKafka, uniqueTopic } from "../support/kafka.ts";
import { type RunningService, scrape, startService, waitFor, waitReady } from "../support/service.ts";

const CHROMIUM = process.env.KYMAROS_CHROMIUM ?? "/usr/bin/chromium";
// The README's picture is rewritten only when asked (make screenshot): a test run leaves the tree clean.
const SCREENSHOT =
  process.env.KYMAROS_UPDATE_SCREENSHOT === "1"
    ? fileURLToPath(new URL("../../docs/images/status-page.png", import.meta.url))
    : join(tmpdir(), `kymaros-status-page-${process.pid}.png`);
const AXE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const HOSTILE = `"><img src=x onerror=alert(1)><script>alert(2)</script> ünï-テスト-😀 ${"w".repeat(120)}`;
const APPS = [
  "orders-db",
  "billing-api",
  "catalog",
  "payments-ledger",
  "search-index",
  "auth-users",
  "media-store",
];
const KINDS = ["nightly", "hourly", "weekly", "dr-drill", "pitr", "snapshot"];
const NOW = Date.now();

/** 250 tests over 3 pages: a few failing and partial, some RTOs over their target, no run for some. */
function dataset(): RunCompleted[] {
  const runs: RunCompleted[] = [];
  for (let i = 0; i < 250; i++) {
    const test = `${APPS[i % APPS.length]}-${KINDS[Math.floor(i / APPS.length) % KINDS.length]}-${i}`;
    const result = i % 23 === 0 ? "fail" : i % 17 === 0 ? "partial" : "pass";
    const startedAt = NOW - (i % 48) * 1_800_000 - 900_000;
    runs.push({
      runId: `run-${i}`,
      test,
      namespace: "prod",
      result,
      score: result === "fail" ? 20 + (i % 40) : result === "partial" ? 60 + (i % 15) : 75 + (i % 26),
      startedAt,
      completedAt: startedAt + 300_000 + (i % 9) * 60_000,
      rtoSeconds: i % 11 === 0 ? null : 120 + ((i * 37) % 900) + 0.25,
      backupName: `backup-${i}`,
      backupCreatedAt: i % 13 === 0 ? null : startedAt - 3_600_000 * (1 + (i % 30)),
      rtoTargetSeconds: i % 3 === 0 ? null : 600,
      cluster: null,
    });
  }
  runs.push({ ...(runs[1] as RunCompleted), runId: "hostile", test: HOSTILE, result: "pass", score: 99 });
  return runs;
}

const metricOf = (samples: Map<string, string>, name: string, test: string, extra = "") =>
  samples.get(`${name}{test="${labelValue(test)}"${extra}}`);

/** The visible rows: name, result, and each numeric cell's exact value (data-value), by column. */
async function tableRows(page: Page) {
  // No named function inside: tsx would wrap it in a helper the page does not have.
  const raw = await page.$$eval("table.tests tbody tr", (trs) =>
    trs.map((tr) => ({
      test: tr.querySelector("th")?.childNodes[0]?.textContent ?? "",
      cells: [...tr.querySelectorAll("td")].map((td) => [td.textContent, td.getAttribute("data-value")]),
    })),
  );
  return raw.map(({ test, cells }) => {
    const value = (i: number) => cells[i]?.[1] ?? null;
    return {
      test,
      result: cells[0]?.[0] ?? "",
      score: value(1),
      rto: value(2),
      age: value(3),
      pass: value(5),
      fail: value(6),
      partial: value(7),
    };
  });
}

describe("the status page in Chromium", { timeout: 120_000 }, () => {
  const topic = uniqueTopic("status-page");
  const runs = dataset();
  let service: RunningService;
  let browser: Browser;
  let deadLetterOffset = "";
  const problems: string[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`chromium not found at ${CHROMIUM}: apt-get install chromium, or set KYMAROS_CHROMIUM`);
    }
    const kafka = testKafka();
    await createTopic(kafka, topic, 3);
    const producer = createProducer({ env: { KYMAROS_KAFKA_BROKERS: testBrokers().join(",") }, topic });
    await producer.publishMany(runs);
    await producer.close();
    const raw = kafka.producer();
    await raw.connect();
    const [ack] = await raw.send({
      topic,
      acks: -1,
      messages: [{ key: "garbage", value: Buffer.from("not avro") }],
    });
    await raw.disconnect();
    deadLetterOffset = `${ack?.partition}:${ack?.baseOffset}`;
    service = await startService({ topic, groupId: `${topic}.group` });
    await waitReady(service, 60_000);
    await waitFor("every test on /metrics", async () =>
      (await scrape(service)).includes(`kymaros_score{test="${labelValue(HOSTILE)}"}`) ? true : undefined,
    );
    // launch() gives Chromium a fresh temporary profile of its own, removed on close.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  });

  after(async () => {
    await browser?.close();
    await service?.stop("SIGKILL");
  });

  /** A page that records console errors, page errors, dialogs and any request off the service. */
  async function open(path: string, javaScriptEnabled = true): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1500, height: 940 }, javaScriptEnabled });
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => problems.push(`dialog: ${d.message()}`));
    page.on("request", (r) => {
      if (!r.url().startsWith(service.url)) problems.push(`request off the service: ${r.url()}`);
    });
    const res = await page.goto(`${service.url}${path}`);
    assert.equal(res?.status(), 200);
    return page;
  }

  test("loads with no console error, a CSP, and no serious or critical axe violation", async () => {
    const page = await open("/");
    const res = await page.request.get(`${service.url}/`);
    assert.match(res.headers()["content-security-policy"] ?? "", /^default-src 'none'/);
    // axe is evaluated over the DevTools protocol, which the page's CSP does not govern.
    await page.evaluate(AXE);
    const violations = await page.evaluate(async () => {
      const axe = (
        globalThis as unknown as { axe: { run(): Promise<{ violations: { id: string; impact: string }[] }> } }
      ).axe;
      return (await axe.run()).violations.map((v) => ({ id: v.id, impact: v.impact }));
    });
    assert.deepEqual(
      violations.filter((v) => v.impact === "serious" || v.impact === "critical"),
      [],
    );
    await page.screenshot({ path: SCREENSHOT, fullPage: false });
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test("the table's values equal /metrics, failing first, with the counts by result", async () => {
    const page = await open("/");
    const samples = parseSamples(await scrape(service));
    const rows = await tableRows(page);
    assert.equal(rows.length, 100);
    for (const r of rows) {
      assert.equal(r.score, metricOf(samples, "kymaros_score", r.test), r.test);
      assert.equal(r.rto, metricOf(samples, "kymaros_rto_seconds", r.test) ?? null, r.test);
      assert.equal(r.age, metricOf(samples, "kymaros_backup_age_seconds", r.test) ?? null, r.test);
      for (const result of ["pass", "fail", "partial"] as const) {
        assert.equal(
          r[result],
          metricOf(samples, "kymaros_tests_total", r.test, `,result="${result}"`),
          r.test,
        );
      }
    }
    const failing = runs.filter((r) => r.result === "fail").length;
    assert.deepEqual(
      rows.slice(0, failing).map((r) => r.result),
      Array(failing).fill("fail"),
    );
    const count = (result: string) => runs.filter((r) => r.result === result).length;
    assert.equal(
      await page.textContent(".counts"),
      `${runs.length} tests · ${failing} fail · ${count("partial")} partial · ${count("pass")} pass`,
    );
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test("filter, sort and pages are links that keep the query", async () => {
    const page = await open("/");
    await page.click(`.counts a.partial`);
    assert.match(page.url(), /\?result=partial$/);
    const partial = await tableRows(page);
    assert.equal(partial.length, runs.filter((r) => r.result === "partial").length);
    assert.ok(partial.every((r) => r.result === "partial"));

    await page.goto(`${service.url}/`);
    await page.fill("#f-test", "billing");
    await page.click("form.filter button");
    // The form sends its empty result choice too.
    assert.match(page.url(), /\?test=billing&result=$/);
    const named = await tableRows(page);
    assert.equal(named.length, runs.filter((r) => r.test.includes("billing")).length);

    await page.click("thead a:text('score')");
    assert.match(page.url(), /test=billing&sort=score$/);
    const up = (await tableRows(page)).map((r) => Number(r.score));
    assert.deepEqual(
      up,
      [...up].sort((a, b) => a - b),
    );
    await page.click("thead a:text('score')");
    assert.match(page.url(), /sort=score&order=desc/);
    const down = (await tableRows(page)).map((r) => Number(r.score));
    assert.deepEqual(
      down,
      [...up].sort((a, b) => b - a),
    );

    await page.goto(`${service.url}/`);
    const first = (await tableRows(page)).map((r) => r.test);
    await page.click(".pager a:text('next')");
    assert.match(page.url(), /\?page=2$/);
    assert.match((await page.textContent(".pager")) ?? "", /page 2 of 3/);
    const second = (await tableRows(page)).map((r) => r.test);
    assert.equal(second.filter((t) => first.includes(t)).length, 0);
    await page.click(".pager a:text('last')");
    assert.equal((await tableRows(page)).length, runs.length - 200);
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test("a hostile name is text, and the panel shows the dead letter by place and reason", async () => {
    const page = await open(`/?test=${encodeURIComponent("テスト")}`);
    const rows = await tableRows(page);
    assert.deepEqual(
      rows.map((r) => r.test),
      [HOSTILE],
    );
    assert.equal(await page.locator("main img, main script").count(), 0);
    const [partition, offset] = deadLetterOffset.split(":");
    const letters = await page.$$eval("#dead-letters ~ table tbody tr", (trs) =>
      trs.map((tr) => [...tr.querySelectorAll("td")].slice(1).map((td) => td.textContent)),
    );
    assert.deepEqual(letters, [[partition, offset, "bad_magic"]]);
    assert.match((await page.textContent("#dead-letters ~ table caption")) ?? "", new RegExp(topic));
    assert.deepEqual(problems, []);
    await page.context().close();
  });

  test("works with JavaScript off", async () => {
    const page = await open("/", false);
    await page.click(".counts a.fail");
    const rows = await tableRows(page);
    assert.equal(rows.length, runs.filter((r) => r.result === "fail").length);
    assert.deepEqual(problems, []);
    await page.context().close();
  });
});
