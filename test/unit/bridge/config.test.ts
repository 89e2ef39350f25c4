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
    [{ KYMAROS_BRIDGE_GROUP: "-x" }, "KYMAROS_BRIDGE_GROUP"],
    [{ KYMAROS_BRIDGE_VERSION: "1" }, "KYMAROS_BRIDGE_VERSION"],
    [{ KYMAROS_KUBECONFIG: " " }, "KYMAROS_KUBECONFIG"],
    [{ KYMAROS_CLUSTER: "" }, "KYMAROS_CLUSTER"],
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
