/**
 * The k8s/ base against itself (selectors, ports, security) and against the project's metrics
 * reference, docs/metrics.md: the ServiceMonitor field for field, the two alert rules verbatim,
 * the scrape target, and every PromQL example on the Grafana dashboard.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { CLUSTER_PLACEHOLDER, DEFAULT_VELERO_NAMESPACE } from "../../services/bridge/config.ts";
import {
  baseDir,
  baseResources,
  field,
  k8sYamlFiles,
  kustomization,
  only,
  parseManifests,
  parseYamlDocuments,
  readK8sFile,
  repoRoot,
} from "../support/kustomize.ts";
import { readMetricsDoc } from "../support/metrics-doc.ts";
import { normalisePromql, REPLICA_SAFE, replicaSafe } from "../support/replica-promql.ts";
import { RUNTIME_ENV } from "../support/service.ts";

// --- the metrics reference (docs/metrics.md) --------------------------------------------------

const doc = readMetricsDoc();

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** The reference's static scrape config: its one job's name, target, path and interval. */
function referenceScrapeConfig(): { job: string; target: string; path: string; interval: string } {
  const jobs = doc.scrapeConfig.scrape_configs;
  assert.ok(Array.isArray(jobs) && jobs.length === 1, "docs/metrics.md: one scrape job");
  const job = jobs[0] as Record<string, unknown>;
  const targets = field(job, "static_configs.0.targets");
  assert.ok(Array.isArray(targets) && targets.length === 1, "docs/metrics.md: one scrape target");
  assert.deepEqual(Object.keys(job).sort(), [
    "job_name",
    "metrics_path",
    "scrape_interval",
    "static_configs",
  ]);
  return {
    job: String(job.job_name),
    target: String(targets[0]),
    path: String(job.metrics_path),
    interval: String(job.scrape_interval),
  };
}

// --- the manifests ------------------------------------------------------------------------------

const resources = baseResources();
const deployment = only(resources, "Deployment", "kymaros-api");
const service = only(resources, "Service", "kymaros-api");
const monitor = only(resources, "ServiceMonitor", "kymaros");
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

  it("the base's kustomization lists every manifest at the top of k8s/base/ and nothing else", () => {
    const listed = field(kustomization(), "resources") as string[];
    const topLevel = k8sYamlFiles()
      .filter((f) => /^base\/[^/]+$/.test(f) && f !== "base/kustomization.yaml")
      .map((f) => f.slice("base/".length));
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
      "PodDisruptionBudget",
      "PrometheusRule",
      "Role",
      "RoleBinding",
      "Service",
      "Service",
      "ServiceAccount",
      "ServiceMonitor",
      "ServiceMonitor",
    ]);
    // k8s/ itself renders the base; the overlay builds on it.
    assert.deepEqual(field(kustomization("."), "resources"), ["base"]);
    assert.deepEqual(field(kustomization("overlays/sharded"), "resources"), [
      "../../base",
      "statefulset.yaml",
    ]);
  });

  it("everything lives in the namespace kymaros-system, which the base creates, but the Velero Role", () => {
    only(resources, "Namespace", "kymaros-system");
    const clusterScoped = ["Namespace", "ClusterRole", "ClusterRoleBinding"];
    const inVelero = ["Role", "RoleBinding"];
    for (const r of resources.filter((o) => inVelero.includes(o.kind))) {
      assert.equal(r.metadata.namespace, "velero", `${r.kind} ${r.metadata.name}`);
    }
    for (const r of resources.filter((o) => ![...clusterScoped, ...inVelero].includes(o.kind))) {
      assert.equal(r.metadata.namespace, "kymaros-system", `${r.kind} ${r.metadata.name}`);
    }
  });
});

describe("k8s manifests: the Deployment", () => {
  it("runs two replicas of kymaros-api:0.1.0, rolled one at a time without dropping a ready one", () => {
    assert.equal(field(deployment, "spec.replicas"), 2);
    assert.deepEqual(field(deployment, "spec.strategy"), {
      type: "RollingUpdate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
    assert.equal(container.image, "kymaros-api:0.1.0");
    assert.equal(field(deployment, "spec.template.spec.terminationGracePeriodSeconds"), 15);
    assertSelects(field(deployment, "spec.selector.matchLabels"), podLabels, "Deployment selector");
  });

  it("spreads the replicas across nodes (and zones), still scheduling where there is one", () => {
    const spread = field(deployment, "spec.template.spec.topologySpreadConstraints") as Array<
      Record<string, unknown>
    >;
    assert.deepEqual(
      spread.map((c) => c.topologyKey),
      ["kubernetes.io/hostname", "topology.kubernetes.io/zone"],
    );
    for (const c of spread) {
      assert.equal(c.maxSkew, 1);
      assert.equal(c.whenUnsatisfiable, "ScheduleAnyway");
      assertSelects(field(c, "labelSelector.matchLabels"), podLabels, "topology spread selector");
    }
  });

  it("a PodDisruptionBudget lets a drain take one pod at a time", () => {
    const pdb = only(resources, "PodDisruptionBudget", "kymaros-api");
    assert.equal(field(pdb, "spec.maxUnavailable"), 1);
    assertSelects(field(pdb, "spec.selector.matchLabels"), podLabels, "PodDisruptionBudget selector");
    assert.ok(
      (field(deployment, "spec.replicas") as number) > 1,
      "a budget of 1 with one replica blocks drains",
    );
  });

  it("configures the service through KYMAROS_ variables and keeps the kubelet's service links out", () => {
    const env = new Map(
      (container.env as Array<{ name: string; value: string }>).map((e) => [e.name, e.value]),
    );
    assert.match(env.get("KYMAROS_KAFKA_BROKERS") ?? "", /^[a-z0-9.-]+:\d+(,[a-z0-9.-]+:\d+)*$/);
    assert.equal(env.get("KYMAROS_TOPIC"), "kymaros.run-completed");
    assert.equal(env.get("KYMAROS_DLQ_TOPIC"), "kymaros.run-completed.dlq");
    assert.equal(env.get("KYMAROS_TOPIC_REPLICATION_FACTOR"), "3");
    assert.equal(env.get("KYMAROS_TOPIC_MIN_INSYNC_REPLICAS"), "2");
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
    assert.deepEqual(monitor, doc.serviceMonitor);
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

  it("the PrometheusRule's group kymaros holds exactly the reference's two alerts, the replicas collapsed", () => {
    const reference = doc.alertRules.groups;
    assert.equal(reference.length, 1);
    assert.deepEqual(
      reference[0]?.rules.map((r) => r.alert),
      ["KymarosTestFailed", "KymarosRTOExceeded"],
    );
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: AlertRule[] }>;
    const kymaros = groups.find((g) => g.name === reference[0]?.name);
    // Everything verbatim but the expression, whose metric is wrapped in min/max without
    // (instance, pod): the reference's comparison, once per test instead of once per replica;
    // and the metric selects kymaros-api's jobs, so that Kymaros's own controller (the same
    // names, its own job) neither fires these alerts nor doubles them.
    const collapsed = (r: AlertRule): AlertRule => {
      const [, metric, rest] = /^(\w+) (.*)$/.exec(r.expr) ?? [];
      const how = r.alert === "KymarosTestFailed" ? "min" : "max";
      return { ...r, expr: `${how} without (instance, pod) (${metric}{job=~"kymaros|kymaros-api"}) ${rest}` };
    };
    assert.deepEqual(kymaros, {
      ...reference[0],
      rules: ((reference[0]?.rules ?? []) as unknown as AlertRule[]).map(collapsed),
    });
  });

  it("the operational group alerts on stale tests, the service down or absent, consumer lag and Kafka away", () => {
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: AlertRule[] }>;
    assert.deepEqual(
      groups.map((g) => g.name),
      ["kymaros", "kymaros-operational", "kymaros-bridge"],
    );
    const operational = groups[1]?.rules ?? [];
    assert.deepEqual(
      operational.map((r) => r.alert),
      [
        "KymarosTestStale",
        "KymarosApiDown",
        "KymarosApiReplicaDown",
        "KymarosApiShardDown",
        "KymarosApiAbsent",
        "KymarosApiConsumerLag",
        "KymarosApiKafkaUnreachable",
        "KymarosApiPartitionStale",
        "KymarosApiStateGap",
        "KymarosBridgeNotReady",
        "KymarosBridgeReportPending",
      ],
    );
    const byName = new Map(operational.map((r) => [r.alert, r]));
    assert.match(byName.get("KymarosTestStale")?.expr ?? "", /offset 25h/);
    assert.match(
      byName.get("KymarosApiDown")?.expr ?? "",
      /^max without \(instance, pod\) \(up\{job=~"kymaros\|kymaros-api"\}\) == 0$/,
    );
    assert.equal(byName.get("KymarosApiDown")?.for, "5m");
    assert.match(byName.get("KymarosApiAbsent")?.expr ?? "", /^absent\(up\{job=~"kymaros\|kymaros-api"\}\)$/);
    assert.match(byName.get("KymarosApiConsumerLag")?.expr ?? "", /kymaros_api_consumer_lag\) > 1000$/);
    assert.equal(byName.get("KymarosApiConsumerLag")?.for, "10m");
    assert.match(
      byName.get("KymarosApiKafkaUnreachable")?.expr ?? "",
      /kymaros_api_kafka_connected\{job=~"kymaros\|kymaros-api"\}\) == 0$/,
    );
    assert.equal(byName.get("KymarosApiKafkaUnreachable")?.for, "5m");
    assert.equal(byName.get("KymarosApiPartitionStale")?.for, "5m");
    assert.match(byName.get("KymarosBridgeNotReady")?.expr ?? "", /up\{job="kymaros-bridge"\}/);
    assert.match(
      byName.get("KymarosBridgeNotReady")?.expr ?? "",
      /kymaros_bridge_ready\{job="kymaros-bridge"\}/,
    );
    assert.equal(byName.get("KymarosBridgeNotReady")?.for, "10m");
    for (const r of operational) {
      assert.ok(["warning", "critical"].includes(r.labels.severity ?? ""), `${r.alert}: severity`);
      assert.ok(r.annotations.summary && r.annotations.description, `${r.alert}: summary and description`);
    }
  });

  it("the group kymaros-bridge: the bridge absent, Velero unreadable; job kymaros-bridge", () => {
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: AlertRule[] }>;
    const bridgeRules = groups.find((g) => g.name === "kymaros-bridge")?.rules ?? [];
    assert.deepEqual(
      bridgeRules.map((r) => [r.alert, r.expr.trim(), r.for]),
      [
        ["KymarosBridgeAbsent", 'absent(up{job="kymaros-bridge"})', "10m"],
        [
          "KymarosBridgeBackupLookupFailing",
          'sum by (job) (rate(kymaros_bridge_backup_lookups_total{job="kymaros-bridge",result="error"}[5m])) > 0',
          "15m",
        ],
      ],
    );
  });

  it("every kymaros_ test metric an alert reads is selected by kymaros-api's jobs", () => {
    const groups = field(rule, "spec.groups") as Array<{ name: string; rules: AlertRule[] }>;
    for (const r of groups.flatMap((g) => g.rules)) {
      for (const [, metric, selector] of r.expr.matchAll(/\b(kymaros_(?!api_|bridge_)\w+)(\{[^}]*\})?/g)) {
        assert.equal(
          selector,
          '{job=~"kymaros|kymaros-api"}',
          `${r.alert}: ${metric} without the job matcher`,
        );
      }
    }
  });

  it("the PrometheusRule carries the ServiceMonitor's release label (the Operator's rule selector)", () => {
    assert.equal(rule.metadata.labels?.release, monitor.metadata.labels?.release);
  });
});

describe("k8s manifests: kymaros-bridge's settings, Velero access and network", () => {
  const bridge = only(resources, "Deployment", "kymaros-bridge");
  const bridgeContainer = field(bridge, "spec.template.spec.containers.0") as Record<string, unknown>;
  const settings = new Map(
    readK8sFile("base/bridge-settings.env")
      .split("\n")
      .filter((l) => l.trim() !== "" && !l.startsWith("#"))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );

  it("KYMAROS_CLUSTER is a visible, required setting: the placeholder the bridge refuses", () => {
    assert.deepEqual([...settings.keys()].sort(), ["KYMAROS_BRIDGE_VELERO_NAMESPACE", "KYMAROS_CLUSTER"]);
    assert.equal(settings.get("KYMAROS_CLUSTER"), CLUSTER_PLACEHOLDER);
    assert.equal(settings.get("KYMAROS_BRIDGE_VELERO_NAMESPACE"), DEFAULT_VELERO_NAMESPACE);
    const generator = (field(kustomization(), "configMapGenerator") as Array<Record<string, unknown>>).find(
      (g) => g.name === "kymaros-bridge-settings",
    );
    assert.deepEqual(generator?.envs, ["bridge-settings.env"]);
    assert.equal(generator?.namespace, "kymaros-system");
    assert.deepEqual(bridgeContainer.envFrom, [{ configMapRef: { name: "kymaros-bridge-settings" } }]);
    const own = (bridgeContainer.env as Array<{ name: string }>).map((e) => e.name);
    for (const name of settings.keys()) assert.ok(!own.includes(name), `${name} is set twice`);
  });

  it("the Velero Role grants get on restores and backups (velero.io), bound to the bridge's ServiceAccount", () => {
    const role = only(resources, "Role", "kymaros-bridge-velero");
    assert.deepEqual(field(role, "rules"), [
      { apiGroups: ["velero.io"], resources: ["restores", "backups"], verbs: ["get"] },
    ]);
    const binding = only(resources, "RoleBinding", "kymaros-bridge-velero");
    assert.deepEqual(field(binding, "roleRef"), {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "kymaros-bridge-velero",
    });
    assert.deepEqual(field(binding, "subjects"), [
      { kind: "ServiceAccount", name: "kymaros-bridge", namespace: "kymaros-system" },
    ]);
    assert.equal(field(bridge, "spec.template.spec.serviceAccountName"), "kymaros-bridge");
    // The replacement that keeps the Role in the namespace the bridge reads.
    const replacements = field(kustomization(), "replacements") as Array<Record<string, unknown>>;
    assert.deepEqual(field(replacements[0], "source"), {
      kind: "ConfigMap",
      name: "kymaros-bridge-settings",
      fieldPath: "data.KYMAROS_BRIDGE_VELERO_NAMESPACE",
    });
    assert.deepEqual(
      (field(replacements[0], "targets") as Array<Record<string, unknown>>).map((t) =>
        field(t, "select.kind"),
      ),
      ["Role", "RoleBinding"],
    );
  });

  it("the NetworkPolicy: in 8081 only; out DNS, the API server's common ports, Kafka's and MSK's", () => {
    const bridgePolicy = only(resources, "NetworkPolicy", "kymaros-bridge");
    assertSelects(
      field(bridgePolicy, "spec.podSelector.matchLabels"),
      field(bridge, "spec.template.metadata.labels") as Record<string, string>,
      "bridge NetworkPolicy podSelector",
    );
    assert.deepEqual(field(bridgePolicy, "spec.policyTypes"), ["Ingress", "Egress"]);
    assert.deepEqual(field(bridgePolicy, "spec.ingress"), [{ ports: [{ protocol: "TCP", port: 8081 }] }]);
    const tcp = (...ports: number[]) => ports.map((port) => ({ protocol: "TCP", port }));
    assert.deepEqual(field(bridgePolicy, "spec.egress"), [
      { ports: [{ protocol: "UDP", port: 53 }, ...tcp(53)] },
      { ports: tcp(443, 6443, 8443) },
      { ports: tcp(9092, 9093, 9094, 9096, 9098) },
    ]);
  });
});

describe("k8s manifests: kymaros-bridge's monitoring", () => {
  const bridge = only(resources, "Deployment", "kymaros-bridge");
  const bridgeService = only(resources, "Service", "kymaros-bridge");
  const bridgeMonitor = only(resources, "ServiceMonitor", "kymaros-bridge");

  it("its ServiceMonitor selects its Service, which selects its pods, port http to the container's", () => {
    assertSelects(
      field(bridgeMonitor, "spec.selector.matchLabels"),
      bridgeService.metadata.labels ?? {},
      "bridge ServiceMonitor selector",
    );
    assertSelects(
      field(bridgeService, "spec.selector"),
      field(bridge, "spec.template.metadata.labels") as Record<string, string>,
      "bridge Service selector",
    );
    assert.deepEqual(field(bridgeMonitor, "spec.namespaceSelector.matchNames"), [
      bridgeService.metadata.namespace,
    ]);
    assert.deepEqual(field(bridgeMonitor, "spec.endpoints.0"), {
      port: "http",
      path: "/metrics",
      interval: "30s",
    });
    assert.equal(namedPorts(bridgeService, "spec.ports").get("http")?.targetPort, "http");
    assert.ok(namedPorts(bridge, "spec.template.spec.containers.0.ports").has("http"));
  });

  it("carries the release label the PrometheusRule and the service's ServiceMonitor carry", () => {
    assert.equal(bridgeMonitor.metadata.labels?.release, monitor.metadata.labels?.release);
  });
});

describe("k8s manifests: the Grafana dashboard", () => {
  const generator = (field(kustomization(), "configMapGenerator") as Array<Record<string, unknown>>).find(
    (g) => g.name === "kymaros-dashboard",
  );
  const dashboardFile = join(baseDir, "dashboards", "kymaros.json");

  interface Target {
    expr: string;
    hide?: boolean;
  }
  const dashboard = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
    uid: string;
    panels: Array<{ id: number; title: string; targets: Target[] }>;
  };
  const normalise = (expr: string): string => expr.replace(/\s+/g, " ").trim();
  // Every kymaros_ test metric selects kymaros-api's jobs (as the rules do): Kymaros's own
  // controller exports the same names under its own job.
  const ours = (expr: string): string =>
    expr.replace(/\b(kymaros_(?!api_|bridge_)\w+)(\{)?/g, (_, name: string, brace?: string) =>
      brace ? `${name}{job=~"kymaros|kymaros-api",` : `${name}{job=~"kymaros|kymaros-api"}`,
    );
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

  it("contains every PromQL example of the reference, with the replicas collapsed as docs/replicas-and-shards.md documents", () => {
    const examples = doc.promql;
    assert.equal(
      examples.length,
      8,
      `PromQL examples parsed from the reference: ${JSON.stringify(examples)}`,
    );
    assert.deepEqual(
      examples.map(([, expr]) => normalise(expr)).sort(),
      REPLICA_SAFE.map(([expr]) => normalisePromql(expr)).sort(),
      "the documented replica-safe forms cover exactly the reference's examples",
    );
    for (const [title, expr] of examples) {
      // The one example about "a specific test" is bound to the dashboard's test variable.
      const expected = ours(
        normalise(replicaSafe(expr) ?? "").replace('test="my-app-nightly"', 'test=~"$test"'),
      );
      assert.ok(exprs.includes(expected), `"${title}": ${expected} is on no panel`);
    }
    // No query reads a kymaros_ metric without collapsing the replicas first, or from another job.
    for (const expr of exprs) {
      assert.match(expr, /without \(instance, pod\)/, expr);
      for (const [selector] of expr.matchAll(/\bkymaros_\w+(\{[^}]*\})?/g)) {
        assert.match(selector, /\{job=~"kymaros\|kymaros-api"/, `${expr}: ${selector}`);
      }
    }
  });

  it("shows each visible query once and hides only the reference's per-test failure rate", () => {
    const hidden = dashboard.panels.flatMap((p) =>
      p.targets.filter((t) => t.hide).map((t) => normalise(t.expr)),
    );
    assert.deepEqual(hidden, [
      ours(
        normalise(
          replicaSafe(
            'increase(kymaros_tests_total{result="fail"}[24h])\n/\nincrease(kymaros_tests_total[24h])',
          ) ?? "",
        ),
      ),
    ]);
  });
});

describe("k8s manifests: overlays/sharded", () => {
  const statefulSet = only(
    parseManifests(readK8sFile("overlays/sharded/statefulset.yaml"), "statefulset.yaml"),
    "StatefulSet",
    "kymaros-api",
  );
  const template = field(statefulSet, "spec.template") as Record<string, unknown>;
  const env = (field(template, "spec.containers.0.env") as Array<{ name: string; value: string }>) ?? [];
  const shards = Number(env.find((e) => e.name === "KYMAROS_TOTAL_SHARDS")?.value);

  it("runs the base Deployment's pod template, plus the shard count", () => {
    const withoutShards = structuredClone(template);
    const c = field(withoutShards, "spec.containers.0") as { env: Array<{ name: string }> };
    c.env = c.env.filter((e) => e.name !== "KYMAROS_TOTAL_SHARDS");
    assert.deepEqual(withoutShards, field(deployment, "spec.template"));
    assert.ok(!env.some((e) => e.name === "KYMAROS_SHARD"), "the shard comes from each pod's ordinal");
    assert.deepEqual(field(statefulSet, "spec.selector"), field(deployment, "spec.selector"));
  });

  it("has at least two shards and a whole number of replicas per shard, at least two", () => {
    const replicas = field(statefulSet, "spec.replicas") as number;
    assert.ok(Number.isInteger(shards) && shards >= 2, `KYMAROS_TOTAL_SHARDS ${shards}`);
    assert.equal(
      replicas % shards,
      0,
      "ordinal mod shards: an uneven count leaves shards with fewer replicas",
    );
    assert.ok(replicas / shards >= 2, "a shard of one replica is a single point of failure");
  });

  it("rolls one pod at a time behind the base Service, and replaces the Deployment", () => {
    assert.equal(field(statefulSet, "spec.serviceName"), service.metadata.name);
    assert.equal(field(statefulSet, "spec.updateStrategy.type"), "RollingUpdate");
    assert.equal(field(statefulSet, "spec.updateStrategy.rollingUpdate"), undefined);
    assert.equal(field(statefulSet, "spec.podManagementPolicy"), "Parallel");
    const patches = field(kustomization("overlays/sharded"), "patches") as Array<{ patch: string }>;
    const deleted = parse(String(patches[0]?.patch)) as Record<string, unknown>;
    assert.deepEqual(
      [deleted.$patch, deleted.kind, field(deleted, "metadata.name")],
      ["delete", "Deployment", "kymaros-api"],
    );
  });
});
