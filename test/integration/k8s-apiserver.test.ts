/**
 * The k8s/ manifests against a real API server (kube-apiserver v1.34.4, tools/kube): the core
 * kinds of `kubectl kustomize k8s` pass `kubectl apply --dry-run=server` (the server's own
 * validation and defaulting), a broken one does not; and the bridge's ServiceAccount token may
 * get, list and watch RestoreReports and RestoreTests, get Velero's Restores and Backups in
 * Velero's namespace (Velero's own CRDs), and nothing else.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { installCrds, installVeleroCrds, type LocalKube, startKube } from "../support/kube.ts";
import { field, type K8sObject, k8sDir, parseManifests } from "../support/kustomize.ts";

/** The Prometheus Operator's kinds: checked against its schemas in test/unit/k8s-operator-schemas. */
const OPERATOR_KINDS = ["ServiceMonitor", "PrometheusRule"];

const yamlOf = (objects: K8sObject[]) => objects.map((o) => `---\n${stringify(o)}`).join("");

describe("k8s/ against a real API server", { timeout: 5 * 60_000 }, () => {
  let kube: LocalKube;
  let core: K8sObject[] = [];

  before(async () => {
    kube = await startKube();
    await installCrds(kube);
    await installVeleroCrds(kube);
    const rendered = parseManifests(await kube.kubectlOk(["kustomize", k8sDir]), "kubectl kustomize k8s");
    core = rendered.filter((o) => !OPERATOR_KINDS.includes(o.kind));
    // A server-side dry run of namespaced objects needs their namespace to exist (velero: Velero's).
    await kube.kubectlOk(["create", "namespace", "kymaros-system"]);
    await kube.kubectlOk(["create", "namespace", "velero"]);
  });
  after(() => kube?.down());

  it("the rendered core kinds pass a server-side dry run", async () => {
    assert.ok(core.length >= 8, `only ${core.length} core objects rendered`);
    const r = await kube.kubectl(["apply", "--dry-run=server", "-f", "-"], { input: yamlOf(core) });
    assert.equal(r.code, 0, r.stderr);
    for (const o of core) {
      assert.match(
        r.stdout,
        new RegExp(`${o.metadata.name} (created|configured|unchanged) \\(server dry run\\)`),
        `${o.kind} ${o.metadata.name}`,
      );
    }
  });

  /** The object at `path` (dotted, numeric segments index arrays) inside the named resource. */
  const inside = (
    objects: K8sObject[],
    kind: string,
    name: string,
    path: string,
  ): Record<string, unknown> => {
    const found = field(
      objects.find((o) => o.kind === kind && o.metadata.name === name),
      path,
    );
    assert.ok(found !== null && typeof found === "object", `${kind} ${name} has no ${path}`);
    return found as Record<string, unknown>;
  };
  const breakages: [string, (objects: K8sObject[]) => void, RegExp][] = [
    [
      "a container port out of range",
      (objects) => {
        inside(
          objects,
          "Deployment",
          "kymaros-bridge",
          "spec.template.spec.containers.0.ports.0",
        ).containerPort = 70000;
      },
      /containerPort/,
    ],
    [
      "a ClusterRoleBinding to a ServiceAccount without namespace",
      (objects) => {
        delete inside(objects, "ClusterRoleBinding", "kymaros-bridge", "subjects.0").namespace;
      },
      /namespace/,
    ],
    [
      "a NetworkPolicy egress port with an invalid protocol",
      (objects) => {
        inside(objects, "NetworkPolicy", "kymaros-bridge", "spec.egress.0.ports.0").protocol = "ICMP";
      },
      /protocol/,
    ],
  ];
  for (const [what, breakIt, complaint] of breakages) {
    it(`refuses ${what}`, async () => {
      const objects = structuredClone(core);
      breakIt(objects);
      const r = await kube.kubectl(["apply", "--dry-run=server", "-f", "-"], { input: yamlOf(objects) });
      assert.notEqual(r.code, 0, "the broken manifest passed");
      assert.match(r.stderr, complaint);
    });
  }

  describe("the bridge's ServiceAccount", () => {
    let asBridge: string;

    before(async () => {
      const rbac = core.filter((o) =>
        ["ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"].includes(o.kind),
      );
      await kube.kubectlOk(["apply", "-f", "-"], yamlOf(rbac));
      const token = (
        await kube.kubectlOk(["create", "token", "kymaros-bridge", "-n", "kymaros-system"])
      ).trim();
      asBridge = kube.kubeconfigFor(token, "kymaros-bridge");
      await kube.kubectlOk(["create", "namespace", "shop"]);
      await kube.kubectlOk(
        ["apply", "-f", "-"],
        stringify({
          apiVersion: "restore.kymaros.io/v1alpha1",
          kind: "RestoreReport",
          metadata: { name: "r1", namespace: "shop" },
          spec: { testRef: "nightly" },
        }),
      );
      await kube.kubectlOk(["create", "namespace", "elsewhere"]);
      for (const namespace of ["velero", "elsewhere"]) {
        await kube.kubectlOk(
          ["apply", "-f", "-"],
          yamlOf([
            { apiVersion: "velero.io/v1", kind: "Backup", metadata: { name: "daily", namespace }, spec: {} },
            {
              apiVersion: "velero.io/v1",
              kind: "Restore",
              metadata: { name: "rp-daily-x7k2qa", namespace },
              spec: { backupName: "daily" },
            },
          ] as unknown as K8sObject[]),
        );
      }
    });

    const allowed = [
      ["get", "restorereports.restore.kymaros.io", "-A"],
      ["get", "restorereports.restore.kymaros.io", "r1", "-n", "shop"],
      ["get", "restoretests.restore.kymaros.io", "-A"],
      // A watch that the server ends after a second: allowed means it streams, then exits 0.
      ["get", "restorereports.restore.kymaros.io", "-A", "--watch", "--request-timeout=2s"],
      ["get", "restores.velero.io", "rp-daily-x7k2qa", "-n", "velero"],
      ["get", "backups.velero.io", "daily", "-n", "velero"],
    ];
    for (const args of allowed) {
      it(`may ${args.join(" ")}`, async () => {
        const r = await kube.kubectl(args, { kubeconfig: asBridge });
        assert.doesNotMatch(r.stderr, /forbidden/i);
        if (!args.includes("--watch")) assert.equal(r.code, 0, r.stderr);
      });
    }

    const forbidden = [
      ["get", "secrets", "-A"],
      ["get", "pods", "-n", "shop"],
      ["get", "configmaps", "-n", "kymaros-system"],
      ["get", "restorereports.restore.kymaros.io", "-A", "--as=someone-else"],
      ["delete", "restorereport.restore.kymaros.io", "r1", "-n", "shop"],
      ["label", "restorereport.restore.kymaros.io", "r1", "-n", "shop", "x=y"],
      [
        "patch",
        "restorereport.restore.kymaros.io",
        "r1",
        "-n",
        "shop",
        "--subresource=status",
        "--type=merge",
        "-p",
        '{"status":{"score":1}}',
      ],
      ["create", "namespace", "evil"],
      ["create", "token", "kymaros-bridge", "-n", "kymaros-system"],
      // Velero: get of one object in its namespace only; no list, no watch, no writes.
      ["get", "restores.velero.io", "-n", "velero"],
      ["get", "backups.velero.io", "-n", "velero"],
      ["get", "backups.velero.io", "daily", "-n", "velero", "--watch", "--request-timeout=2s"],
      ["get", "backups.velero.io", "-A"],
      ["get", "restores.velero.io", "rp-daily-x7k2qa", "-n", "elsewhere"],
      ["get", "backups.velero.io", "daily", "-n", "elsewhere"],
      ["delete", "backup.velero.io", "daily", "-n", "velero"],
      ["label", "restore.velero.io", "rp-daily-x7k2qa", "-n", "velero", "x=y"],
      ["annotate", "backup.velero.io", "daily", "-n", "velero", "a=b"],
      ["get", "secrets", "-n", "velero"],
    ];
    for (const args of forbidden) {
      it(`is forbidden to ${args.join(" ")}`, async () => {
        const r = await kube.kubectl(args, { kubeconfig: asBridge });
        assert.notEqual(r.code, 0, `allowed: ${r.stdout}`);
        assert.match(r.stderr, /forbidden/i);
      });
    }

    it("is allowed exactly get, list and watch on the two resources (SelfSubjectRulesReview)", async () => {
      const r = await kube.kubectl(["auth", "can-i", "--list", "-n", "shop"], { kubeconfig: asBridge });
      assert.equal(r.code, 0, r.stderr);
      const kymaros = r.stdout.split("\n").filter((l) => l.includes("kymaros.io"));
      assert.deepEqual(
        kymaros.map((l) => [l.trim().split(/\s+/)[0], /(\[[a-z ]*\])\s*$/.exec(l)?.[1]]).sort(),
        [
          ["restorereports.restore.kymaros.io", "[get list watch]"],
          ["restoretests.restore.kymaros.io", "[get list watch]"],
        ],
      );
    });

    it("in Velero's namespace: get on restores and backups, and nothing else of Velero's", async () => {
      const r = await kube.kubectl(["auth", "can-i", "--list", "-n", "velero"], { kubeconfig: asBridge });
      assert.equal(r.code, 0, r.stderr);
      const velero = r.stdout.split("\n").filter((l) => l.includes("velero.io"));
      assert.deepEqual(
        velero.map((l) => [l.trim().split(/\s+/)[0], /(\[[a-z ]*\])\s*$/.exec(l)?.[1]]).sort(),
        [
          ["backups.velero.io", "[get]"],
          ["restores.velero.io", "[get]"],
        ],
      );
      const elsewhere = await kube.kubectl(["auth", "can-i", "--list", "-n", "elsewhere"], {
        kubeconfig: asBridge,
      });
      assert.doesNotMatch(elsewhere.stdout, /velero\.io/);
    });
  });
});
