/**
 * The k8s/ base against itself (selectors, ports, security) and against the metrics reference
 * (/work/shared/spec/metrics-reference.md, found as ../shared/spec/ beside the repository): the
 * ServiceMonitor field for field, the two alert rules verbatim, the scrape target, and every
 * PromQL example on the Grafana dashboard.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  baseResources,
  field,
  k8sDir,
  k8sYamlFiles,
  kustomization,
  only,
  parseYamlDocuments,
  readK8sFile,
  repoRoot,
} from "../support/kustomize.ts";
import { RUNTIME_ENV } from "../support/service.ts";

// --- the metrics reference ----------------------------------------------------------------------

const referencePath = join(repoRoot, "..", "shared", "spec", "metrics-reference.md");

/** The reference's text block (lines trimmed, blank lines dropped): its indentation is not kept. */
function referenceLines(): string[] {
  assert.ok(existsSync(referencePath), `metrics reference not found at ${referencePath}`);
  const text = readFileSync(referencePath, "utf8");
  const fenced = /```text\n([\s\S]*?)\n```/.exec(text);
  assert.ok(fenced?.[1], "the metrics reference has no ```text block");
  return fenced[1]
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

const lines = referenceLines();

/** The lines strictly between the first line equal to `start` and the next equal to `end`. */
function section(start: string, end: string, inclusive = false): string[] {
  const from = lines.indexOf(start);
  const to = lines.indexOf(end, from + 1);
  assert.ok(from >= 0 && to > from, `reference section "${start}" .. "${end}" not found`);
  return lines.slice(inclusive ? from : from + 1, to);
}

/** "key: value" -> [key, parsed value] (values are YAML scalars: quoted strings are unquoted). */
function keyValue(line: string): [string, unknown] {
  const at = line.indexOf(":");
  assert.ok(at > 0, `not a "key: value" line: ${line}`);
  const value = line.slice(at + 1).trim();
  return [line.slice(0, at).trim(), value === "" ? undefined : parse(value)];
}

/** The PromQL examples: [title, expression] (multi-line expressions joined with newlines). */
function referencePromql(): Array<[string, string]> {
  const examples: Array<[string, string[]]> = [];
  for (const line of section("PromQL examples", "Alert: test score dropped below 70")) {
    // Titles are prose ("Current score for ...", "95th percentile ..."); expressions are not.
    if (/^[A-Z0-9][A-Za-z0-9]*\s+[A-Za-z]/.test(line)) examples.push([line, []]);
    else examples.at(-1)?.[1].push(line);
  }
  return examples.map(([title, expr]) => [title, expr.join("\n")]);
}

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The reference's alerting rules: groups -> rules, rebuilt from the flattened YAML. */
function referenceAlertGroups(): Array<{ name: string; rules: AlertRule[] }> {
  const groups: Array<{ name: string; rules: AlertRule[] }> = [];
  let map: "labels" | "annotations" | undefined;
  for (const line of section("Suitable as a Prometheus alerting rule:", "Scrape configuration")) {
    if (line === "groups:" || line === "rules:") continue;
    const [key, value] = keyValue(line.replace(/^- /, ""));
    const rule = groups.at(-1)?.rules.at(-1);
    if (line.startsWith("- name:")) {
      groups.push({ name: String(value), rules: [] });
    } else if (line.startsWith("- alert:")) {
      groups.at(-1)?.rules.push({ alert: String(value), expr: "", for: "", labels: {}, annotations: {} });
      map = undefined;
    } else if (!rule) {
      assert.fail(`reference alert rules: unexpected line ${line}`);
    } else if (key === "labels" || key === "annotations") {
      map = key;
    } else if ((key === "expr" || key === "for") && value !== undefined) {
      rule[key] = String(value);
      map = undefined;
    } else if (map) {
      rule[map][key] = String(value);
    } else {
      assert.fail(`reference alert rules: unexpected line ${line}`);
    }
  }
  return groups;
}

/** Reads "key: value" lines in order, each at most once, and tells whether all were read. */
class FlatYaml {
  private readonly used = new Set<number>();
  constructor(private readonly entries: string[]) {}
  /** The value of the first unused line with this key. */
  take(key: string): unknown {
    const index = this.entries.findIndex(
      (line, i) => !this.used.has(i) && line.replace(/^- /, "").startsWith(`${key}:`),
    );
    assert.ok(index >= 0, `reference: no "${key}:" line`);
    this.used.add(index);
    return keyValue((this.entries[index] as string).replace(/^- /, ""))[1];
  }
  /** The `count` lines that directly follow the line `parent:` (or `- parent:`), all marked read. */
  childrenOf(parent: string, count: number): string[] {
    const index = this.entries.findIndex((line) => line.replace(/^- /, "") === `${parent}:`);
    assert.ok(index >= 0, `reference: no "${parent}:" line`);
    const children = this.entries.slice(index + 1, index + 1 + count);
    for (let i = index; i <= index + count; i++) this.used.add(i);
    return children;
  }
  unread(): string[] {
    return this.entries.filter((_, i) => !this.used.has(i));
  }
}

/** The reference ServiceMonitor, rebuilt with its known shape from the flattened text. */
function referenceServiceMonitor(): Record<string, unknown> {
  const flat = new FlatYaml(
    section(
      "apiVersion: monitoring.coreos.com/v1",
      "Adjust the release label to match your Prometheus Operator's serviceMonitorSelector.",
      true,
    ),
  );
  const [labelKey, labelValue] = keyValue(flat.childrenOf("labels", 1)[0] as string);
  const [selectorKey, selectorValue] = keyValue(flat.childrenOf("matchLabels", 1)[0] as string);
  const namespaces = flat
    .childrenOf("matchNames", 1)
    .map((line) => parse(line.replace(/^- /, "")) as unknown);
  flat.childrenOf("metadata", 0);
  flat.childrenOf("spec", 0);
  flat.childrenOf("selector", 0);
  flat.childrenOf("endpoints", 0);
  flat.childrenOf("namespaceSelector", 0);
  const monitor = {
    apiVersion: flat.take("apiVersion"),
    kind: flat.take("kind"),
    metadata: {
      name: flat.take("name"),
      namespace: flat.take("namespace"),
      labels: { [labelKey]: labelValue },
    },
    spec: {
      selector: { matchLabels: { [selectorKey]: selectorValue } },
      endpoints: [{ port: flat.take("port"), path: flat.take("path"), interval: flat.take("interval") }],
      namespaceSelector: { matchNames: namespaces },
    },
  };
  assert.deepEqual(flat.unread(), [], "reference ServiceMonitor lines this test does not understand");
  return monitor;
}

/** The reference's static scrape config. */
function referenceScrapeConfig(): { job: string; target: string; path: string; interval: string } {
  const flat = new FlatYaml(section("Prometheus scrape_configs", "Prometheus Operator ServiceMonitor"));
  flat.childrenOf("scrape_configs", 0);
  flat.childrenOf("static_configs", 0);
  const target = flat.childrenOf("targets", 1)[0]?.replace(/^- /, "") ?? "";
  const config = {
    job: String(flat.take("job_name")),
    target,
    path: String(flat.take("metrics_path")),
    interval: String(flat.take("scrape_interval")),
  };
  assert.deepEqual(flat.unread(), [], "reference scrape config lines this test does not understand");
  return config;
}

// --- the manifests ------------------------------------------------------------------------------

const resources = baseResources();
const deployment = only(resources, "Deployment", "kymaros-api");
const service = only(resources, "Service", "kymaros-api");
const monitor = only(resources, "ServiceMonitor");
const rule = only(resources, "PrometheusRule");
const policy = only(resources, "NetworkPolicy", "kymaros-api");
const podLabels = field(deployment, "spec.template.metadata.labels") as Record<string, string>;
const container = field(deployment, "spec.template.spec.containers.0") as Record<string, unknown>;

function assertSelects(selector: unknown, labels: Record<string, string>, what: string): void {
  assert.ok(
    selector && typeof selector === "object" && Object.keys(selector).length > 0,
    `${what}: empty selector`,
  );
  for (const [key, value] of Object.entries(selector as Record<string, unknown>)) {
    assert.equal(
      labels[key],
      value,
      `${what}: selector ${key}=${String(value)} does not match ${JSON.stringify(labels)}`,
    );
  }
}

function namedPorts(object: unknown, path: string): Map<string, Record<string, unknown>> {
  const ports = field(object, path);
  assert.ok(Array.isArray(ports), `${path}: no ports`);
  return new Map(ports.map((p: Record<string, unknown>) => [String(p.name), p]));
}

describe("k8s manifests: files", () => {
  it("every YAML file under k8s/ parses", () => {
    const files = k8sYamlFiles();
    assert.ok(files.includes("kustomization.yaml"));
    for (const file of files) {
      const docs = parseYamlDocuments(readK8sFile(file), `k8s/${file}`);
      assert.ok(
        docs.length > 0 && docs.every((d) => d !== null && typeof d === "object"),
        `k8s/${file} is empty`,
      );
    }
  });

  it("the kustomization lists every manifest at the top of k8s/ and nothing else", () => {
    const listed = field(kustomization(), "resources") as string[];
    const topLevel = k8sYamlFiles().filter((f) => !f.includes("/") && f !== "kustomization.yaml");
    assert.deepEqual([...listed].sort(), topLevel);
    const kinds = resources.map((r) => r.kind).sort();
    assert.deepEqual(kinds, [
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "Deployment",
      "Namespace",
      "NetworkPolicy",
      "NetworkPolicy",
      "PrometheusRule",
      "Service",
      "ServiceAccount",
      "ServiceMonitor",
    ]);
  });

  it("everything lives in the namespace kymaros-system, which the base creates", () => {
    only(resources, "Namespace", "kymaros-system");
    const clusterScoped = ["Namespace", "ClusterRole", "ClusterRoleBinding"];
    for (const r of resources.filter((o) => !clusterScoped.includes(o.kind))) {
      assert.equal(r.metadata.namespace, "kymaros-system", `${r.kind} ${r.metadata.name}`);
    }
  });
});

describe("k8s manifests: the Deployment", () => {
  it("runs one replica of kymaros-api:0.1.0 with Recreate (no sharding yet)", () => {
    assert.equal(field(deployment, "spec.replicas"), 1);
    assert.equal(field(deployment, "spec.strategy.type"), "Recreate");
    assert.equal(container.image, "kymaros-api:0.1.0");
    assert.equal(field(deployment, "spec.template.spec.terminationGracePeriodSeconds"), 15);
    assertSelects(field(deployment, "spec.selector.matchLabels"), podLabels, "Deployment selector");
  });

  it("configures the service through KYMAROS_ variables and keeps the kubelet's service links out", () => {
    const env = new Map(
      (container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
    );
    assert.match(env.get("KYMAROS_KAFKA_BROKERS") ?? "", /^[a-z0-9.-]+:\d+(,[a-z0-9.-]+:\d+)*$/);
    assert.equal(env.get("KYMAROS_TOPIC"), "kymaros.run-completed");
    assert.equal(env.get("KYMAROS_DLQ_TOPIC"), "kymaros.run-completed.dlq");
    assert.equal(env.get("KYMAROS_PORT"), "8080");
    assert.equal(env.get("KYMAROS_LOG_LEVEL"), "info");
    // Service links would inject KYMAROS_API_PORT=tcp://... for the kymaros-api Service.
    assert.equal(field(deployment, "spec.template.spec.enableServiceLinks"), false);
  });

  it("exposes port 8080 as http and probes /healthz (startup, liveness) and /readyz (readiness)", () => {
    const http = namedPorts(container, "ports").get("http");
    assert.equal(http?.containerPort, 8080);
    assert.equal(http?.protocol, "TCP");
    const probe = (name: string) => field(container, name) as Record<string, unknown>;
    for (const [name, path] of [
      ["startupProbe", "/healthz"],
      ["livenessProbe", "/healthz"],
      ["readinessProbe", "/readyz"],
    ] as const) {
      assert.deepEqual(field(probe(name), "httpGet"), { path, port: "http" }, name);
    }
    const window = (name: string) => Number(probe(name).periodSeconds) * Number(probe(name).failureThreshold);
    assert.ok(window("startupProbe") >= 60, "startup: at least 60 s to listen");
    assert.ok(window("readinessProbe") >= 60, "readiness: a generous failure window (replay, rebalances)");
  });

  it("requests and limits resources", () => {
    assert.deepEqual(container.resources, {
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "1", memory: "384Mi" },
    });
  });

  it("runs as uid 10001, non-root, read-only, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
    const pod = field(deployment, "spec.template.spec.securityContext") as Record<string, unknown>;
    const own = container.securityContext as Record<string, unknown>;
    for (const [what, context] of [
      ["pod", pod],
      ["container", own],
    ] as const) {
      assert.equal(context.runAsNonRoot, true, what);
      assert.equal(context.runAsUser, 10001, what);
      assert.deepEqual(context.seccompProfile, { type: "RuntimeDefault" }, what);
    }
    assert.equal(own.readOnlyRootFilesystem, true);
    assert.equal(own.allowPrivilegeEscalation, false);
    assert.deepEqual(field(own, "capabilities.drop"), ["ALL"]);
    assert.equal(field(own, "capabilities.add"), undefined);
    assert.equal(field(deployment, "spec.template.spec.automountServiceAccountToken"), false);
  });

  it("mounts an emptyDir on /tmp (the root filesystem is read-only)", () => {
    const mounts = container.volumeMounts as Array<{ name: string; mountPath: string }>;
    const tmp = mounts.find((m) => m.mountPath === "/tmp");
    assert.ok(tmp, "no /tmp mount");
    const volumes = field(deployment, "spec.template.spec.volumes") as Array<Record<string, unknown>>;
    const volume = volumes.find((v) => v.name === tmp.name);
    assert.ok(volume && typeof volume.emptyDir === "object", "/tmp is not an emptyDir");
  });

  it("matches the image: Dockerfile USER, EXPOSE and CMD, package version", () => {
    const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
    assert.equal(container.image, `kymaros-api:${pkg.version}`);
    assert.match(dockerfile, /^USER 10001(:10001)?$/m);
    assert.match(
      dockerfile,
      new RegExp(`^EXPOSE ${String(namedPorts(container, "ports").get("http")?.containerPort)}$`, "m"),
    );
    assert.match(dockerfile, /^CMD \["node", ?"dist\/services\/api\/main\.js"\]$/m);
  });

  it("sets the environment the tests and the bench start the service with", () => {
    const dockerfile = readFileSync(join(repoRoot, "Dockerfile"), "utf8");
    const runtime = dockerfile.slice(dockerfile.indexOf("AS runtime"));
    for (const [name, value] of Object.entries(RUNTIME_ENV)) {
      assert.match(
        runtime,
        new RegExp(`^ENV ${name}=${value}$`, "m"),
        `the image does not set ${name}=${value}`,
      );
    }
  });
});

describe("k8s manifests: Service, NetworkPolicy", () => {
  it("the Service selects the Deployment's pods and serves http 8080 -> the container port http", () => {
    assert.equal(service.metadata.labels?.["app.kubernetes.io/name"], "kymaros-api");
    assertSelects(field(service, "spec.selector"), podLabels, "Service selector");
    const http = namedPorts(service, "spec.ports").get("http");
    assert.deepEqual({ port: http?.port, targetPort: http?.targetPort }, { port: 8080, targetPort: "http" });
    assert.ok(
      namedPorts(container, "ports").has(String(http?.targetPort)),
      "targetPort names no container port",
    );
  });

  it("the Service answers to the reference's static scrape target", () => {
    const scrape = referenceScrapeConfig();
    assert.equal(scrape.job, "kymaros");
    assert.equal(
      scrape.target,
      `${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local:${String(namedPorts(service, "spec.ports").get("http")?.port)}`,
    );
    assert.equal(scrape.path, field(monitor, "spec.endpoints.0.path"));
    assert.equal(scrape.interval, field(monitor, "spec.endpoints.0.interval"));
  });

  it("the NetworkPolicy admits only TCP 8080 to the pods and leaves egress alone", () => {
    assertSelects(field(policy, "spec.podSelector.matchLabels"), podLabels, "NetworkPolicy podSelector");
    assert.deepEqual(field(policy, "spec.policyTypes"), ["Ingress"]);
    assert.deepEqual(field(policy, "spec.ingress"), [{ ports: [{ protocol: "TCP", port: 8080 }] }]);
    assert.equal(field(policy, "spec.egress"), undefined);
  });
});

describe("k8s manifests: monitoring (against the metrics reference)", () => {
  it("the ServiceMonitor is the reference's, field for field", () => {
    const expected = referenceServiceMonitor();
    assert.deepEqual(monitor, expected);
    // and the values the brief names, in case the reference's text ever drifts
    assert.equal(field(monitor, "metadata.labels.release"), "prometheus");
    assert.deepEqual(field(monitor, "spec.endpoints.0"), { port: "http", path: "/metrics", interval: "30s" });
    assert.deepEqual(field(monitor, "spec.namespaceSelector.matchNames"), ["kymaros-system"]);
  });

  it("the ServiceMonitor selects the Service, in its namespace, by its port name", () => {
    assertSelects(
      field(monitor, "spec.selector.matchLabels"),
      service.metadata.labels ?? {},
      "ServiceMonitor selector",
    );
    assert.ok(
      (field(monitor, "spec.namespaceSelector.matchNames") as string[]).includes(
        String(service.metadata.namespace),
      ),
    );
    assert.ok(namedPorts(service, "spec.ports").has(String(field(monitor, "spec.endpoints.0.port"))));
  });

  it("the PrometheusRule's group kymaros holds exactly the reference's two alerts, verbatim", () => {
    const reference = referenceAlertGroups();
    assert.equal(reference.length, 1);
    assert.deepEqual(
      reference[0]?.rules.map((r) => r.alert),
      ["KymarosTestFailed", "KymarosRTOExceeded"],
    );
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: unknown[] }>;
    const kymaros = groups.find((g) => g.name === reference[0]?.name);
    assert.deepEqual(kymaros, reference[0]);
  });

  it("the operational group alerts on stale tests, the service down or absent, and consumer lag", () => {
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: AlertRule[] }>;
    assert.deepEqual(
      groups.map((g) => g.name),
      ["kymaros", "kymaros-operational"],
    );
    const operational = groups[1]?.rules ?? [];
    assert.deepEqual(
      operational.map((r) => r.alert),
      ["KymarosTestStale", "KymarosApiDown", "KymarosApiAbsent", "KymarosApiConsumerLag"],
    );
    const byName = new Map(operational.map((r) => [r.alert, r]));
    assert.match(byName.get("KymarosTestStale")?.expr ?? "", /offset 25h/);
    assert.match(byName.get("KymarosApiDown")?.expr ?? "", /^up\{job=~"kymaros\|kymaros-api"\} == 0$/);
    assert.equal(byName.get("KymarosApiDown")?.for, "5m");
    assert.match(byName.get("KymarosApiAbsent")?.expr ?? "", /^absent\(up\{job=~"kymaros\|kymaros-api"\}\)$/);
    assert.match(byName.get("KymarosApiConsumerLag")?.expr ?? "", /kymaros_api_consumer_lag\) > 1000$/);
    assert.equal(byName.get("KymarosApiConsumerLag")?.for, "10m");
    for (const r of operational) {
      assert.ok(["warning", "critical"].includes(r.labels.severity ?? ""), `${r.alert}: severity`);
      assert.ok(r.annotations.summary && r.annotations.description, `${r.alert}: summary and description`);
    }
  });

  it("the PrometheusRule carries the ServiceMonitor's release label (the Operator's rule selector)", () => {
    assert.equal(rule.metadata.labels?.release, monitor.metadata.labels?.release);
  });
});

describe("k8s manifests: the Grafana dashboard", () => {
  const generator = (field(kustomization(), "configMapGenerator") as Array<Record<string, unknown>>).find(
    (g) => g.name === "kymaros-dashboard",
  );
  const dashboardFile = join(k8sDir, "dashboards", "kymaros.json");

  interface Target {
    expr: string;
    hide?: boolean;
  }
  const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
    uid: string;
    panels: Array<{ id: number; title: string; targets: Target[] }>;
  };
  const normalise = (expr: string): string => expr.replace(/\s+/g, " ").trim();
  const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => normalise(t.expr)));

  it('is generated as a ConfigMap labelled grafana_dashboard: "1" in kymaros-system', () => {
    assert.ok(generator, "no configMapGenerator kymaros-dashboard");
    assert.equal(generator.namespace, "kymaros-system");
    assert.deepEqual(generator.files, ["kymaros.json=dashboards/kymaros.json"]);
    assert.equal(field(generator, "options.labels.grafana_dashboard"), "1");
    assert.equal(field(generator, "options.disableNameSuffixHash"), true);
  });

  it("parses, with unique panel ids and every query on the datasource variable", () => {
    assert.equal(dashboard.uid, "kymaros-api");
    const ids = dashboard.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length);
    assert.match(readFileSync(dashboardFile, "utf8"), /"uid": "\$\{datasource\}"/);
    for (const panel of dashboard.panels) assert.ok(panel.targets.length > 0, panel.title);
  });

  it("contains every PromQL example of the reference", () => {
    const examples = referencePromql();
    assert.equal(
      examples.length,
      8,
      `PromQL examples parsed from the reference: ${JSON.stringify(examples)}`,
    );
    for (const [title, expr] of examples) {
      // The one example about "a specific test" is bound to the dashboard's test variable.
      const expected = normalise(expr).replace('test="my-app-nightly"', 'test=~"$test"');
      assert.ok(exprs.includes(expected), `"${title}": ${expected} is on no panel`);
    }
  });

  it("shows each visible query once and hides only the reference's per-test failure rate", () => {
    const hidden = dashboard.panels.flatMap((p) =>
      p.targets.filter((t) => t.hide).map((t) => normalise(t.expr)),
    );
    assert.deepEqual(hidden, [
      'increase(kymaros_tests_total{result="fail"}[24h]) / increase(kymaros_tests_total[24h])',
    ]);
  });
});
