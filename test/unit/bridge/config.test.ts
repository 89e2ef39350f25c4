import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { readBridgeConfig } from "../../../services/bridge/config.ts";
import { ConfigError } from "../../../services/config/errors.ts";

describe("bridge: settings", () => {
  it("defaults: all namespaces, restore.kymaros.io/v1alpha1, port 8081, the SDK's topic", () => {
    const c = readBridgeConfig({});
    assert.deepEqual(
      [c.namespaces, c.group, c.version, c.port, c.host, c.topic, c.cluster, c.kubeconfig],
      [[], "restore.kymaros.io", "v1alpha1", 8081, "0.0.0.0", "kymaros.run-completed", null, undefined],
    );
  });

  it("reads KYMAROS_BRIDGE_* and friends", () => {
    const c = readBridgeConfig({
      KYMAROS_BRIDGE_NAMESPACES: "shop, billing,shop",
      KYMAROS_BRIDGE_PORT: "9100",
      KYMAROS_BRIDGE_HOST: "127.0.0.1",
      KYMAROS_KUBECONFIG: "/tmp/kc",
      KYMAROS_CLUSTER: "prod-eu-1",
      KYMAROS_TOPIC: "t",
      KYMAROS_BRIDGE_MAX_BACKOFF_MS: "1000",
    });
    assert.deepEqual(
      [c.namespaces, c.port, c.host, c.kubeconfig, c.cluster, c.topic, c.maxBackoffMs],
      [["shop", "billing"], 9100, "127.0.0.1", "/tmp/kc", "prod-eu-1", "t", 1000],
    );
  });

  const bad: [Record<string, string>, string][] = [
    [{ KYMAROS_BRIDGE_PORT: "0" }, "KYMAROS_BRIDGE_PORT"],
    [{ KYMAROS_BRIDGE_PORT: "x" }, "KYMAROS_BRIDGE_PORT"],
    [{ KYMAROS_BRIDGE_NAMESPACES: "Shop" }, "KYMAROS_BRIDGE_NAMESPACES"],
    [{ KYMAROS_BRIDGE_API_GROUP: "-x" }, "KYMAROS_BRIDGE_API_GROUP"],
    [{ KYMAROS_BRIDGE_GROUP: "restore.kymaros.io" }, "KYMAROS_BRIDGE_GROUP"],
    [{ KYMAROS_BRIDGE_VELERO_NAMESPACE: "Velero" }, "KYMAROS_BRIDGE_VELERO_NAMESPACE"],
    [{ KYMAROS_BRIDGE_BACKUP_AGE: "report" }, "KYMAROS_BRIDGE_BACKUP_AGE"],
    [{ KYMAROS_BRIDGE_VERSION: "1" }, "KYMAROS_BRIDGE_VERSION"],
    [{ KYMAROS_KUBECONFIG: " " }, "KYMAROS_KUBECONFIG"],
    [{ KYMAROS_CLUSTER: " prod" }, "KYMAROS_CLUSTER"],
    [{ KYMAROS_CLUSTER: "x".repeat(254) }, "KYMAROS_CLUSTER"],
    [{ KYMAROS_CLUSTER: "REPLACE-WITH-THE-CLUSTER-NAME" }, "KYMAROS_CLUSTER"],
    [{ KUBERNETES_SERVICE_HOST: "10.0.0.1" }, "KYMAROS_CLUSTER"],
    [{ KYMAROS_BRIDGE_MAX_BACKOFF_MS: "5" }, "KYMAROS_BRIDGE_MAX_BACKOFF_MS"],
    [{ KYMAROS_LOG_LEVEL: "loud" }, "KYMAROS_LOG_LEVEL"],
    [{ KYMAROS_TOPIC: "a b" }, "KYMAROS_TOPIC"],
    [{ KYMAROS_KAFKA_BROKERS: "nohost" }, "KYMAROS_KAFKA_BROKERS"],
  ];
  for (const [env, setting] of bad) {
    it(`refuses ${JSON.stringify(env)}, naming ${setting}`, () => {
      assert.throws(
        () => readBridgeConfig(env),
        (err: unknown) =>
          err instanceof ConfigError && err.setting === setting && err.message.startsWith(setting),
      );
    });
  }

  it("the old KYMAROS_BRIDGE_GROUP is refused, naming its new name", () => {
    assert.throws(() => readBridgeConfig({ KYMAROS_BRIDGE_GROUP: "x.io" }), /KYMAROS_BRIDGE_API_GROUP/);
    assert.equal(
      readBridgeConfig({ KYMAROS_BRIDGE_API_GROUP: "restore.example.com" }).group,
      "restore.example.com",
    );
  });

  it("backup age: from Velero in namespace velero unless told otherwise", () => {
    const d = readBridgeConfig({});
    assert.deepEqual([d.backupAge, d.veleroNamespace], ["velero", "velero"]);
    const c = readBridgeConfig({
      KYMAROS_BRIDGE_BACKUP_AGE: "off",
      KYMAROS_BRIDGE_VELERO_NAMESPACE: "backups",
    });
    assert.deepEqual([c.backupAge, c.veleroNamespace], ["off", "backups"]);
  });

  describe("KYMAROS_CLUSTER: must be said in a pod", () => {
    const inPod = { KUBERNETES_SERVICE_HOST: "10.0.0.1" };
    it("in a pod, unset is refused with a message saying what to set", () => {
      assert.throws(
        () => readBridgeConfig(inPod),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.setting === "KYMAROS_CLUSTER" &&
          /unset in a pod/.test(err.message),
      );
    });
    it('in a pod, a name is the runs\' cluster and "" is none on purpose', () => {
      assert.equal(readBridgeConfig({ ...inPod, KYMAROS_CLUSTER: "prod-eu-1" }).cluster, "prod-eu-1");
      assert.equal(readBridgeConfig({ ...inPod, KYMAROS_CLUSTER: "" }).cluster, null);
    });
    it("with a kubeconfig (outside a pod), unset is none", () => {
      assert.equal(readBridgeConfig({ ...inPod, KYMAROS_KUBECONFIG: "/tmp/kc" }).cluster, null);
      assert.equal(readBridgeConfig({}).cluster, null);
    });
    it("the base's placeholder is refused wherever it runs, naming the ConfigMap", () => {
      assert.throws(
        () =>
          readBridgeConfig({
            KYMAROS_CLUSTER: "REPLACE-WITH-THE-CLUSTER-NAME",
            KYMAROS_KUBECONFIG: "/tmp/kc",
          }),
        /KYMAROS_CLUSTER: is still the placeholder .*kymaros-bridge-settings/,
      );
    });
    it("another setting's error comes first, in a pod too", () => {
      assert.throws(
        () => readBridgeConfig({ ...inPod, KYMAROS_BRIDGE_PORT: "0" }),
        (err: unknown) => err instanceof ConfigError && err.setting === "KYMAROS_BRIDGE_PORT",
      );
    });
  });

  it("the process stops with exit code 2 and one line naming the setting", () => {
    const main = fileURLToPath(new URL("../../../services/bridge/main.ts", import.meta.url));
    const run = spawnSync(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, KYMAROS_BRIDGE_PORT: "99999" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(run.status, 2);
    assert.equal(run.stderr.trim().split("\n").length, 1);
    assert.match(run.stderr, /^kymaros-bridge: configuration error: KYMAROS_BRIDGE_PORT: /);
  });

  it("a missing kubeconfig stops the start naming KYMAROS_KUBECONFIG", () => {
    const main = fileURLToPath(new URL("../../../services/bridge/main.ts", import.meta.url));
    const run = spawnSync(process.execPath, ["--import", "tsx", main], {
      env: { ...process.env, KYMAROS_KUBECONFIG: "/nonexistent/kubeconfig" },
      encoding: "utf8",
      timeout: 30_000,
    });
    assert.equal(run.status, 2);
    assert.match(run.stderr, /^kymaros-bridge: configuration error: KYMAROS_KUBECONFIG: /);
  });
});
