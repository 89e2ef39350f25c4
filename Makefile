# kymaros-api: every task a developer or CI runs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
NODE_TEST := node --import tsx --test --test-reporter=spec
# test/unit mirrors services/; test/repo checks the repository itself (docs, manifests, make).
UNIT_TESTS = $(shell find test/repo test/unit -name '*.test.ts' | LC_ALL=C sort)
INTEGRATION_TESTS = $(shell find test/integration -name '*.test.ts' | LC_ALL=C sort)

.PHONY: help deps lint format build test test-unit test-integration kafka-up kafka-down kafka-clean run demo

help: ## list the tasks
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

# npm ci only when the lock file changed since the last install.
node_modules/.installed: package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: node_modules/.installed ## install the Node.js dependencies

lint: deps ## biome (lint + format check) and the TypeScript compiler
	npx biome check .
	npx tsc -p tsconfig.json --noEmit

format: deps ## rewrite files in the house format
	npx biome check --write .

build: deps ## compile services/ to dist/
	rm -rf dist && npx tsc -p tsconfig.build.json

# Two runs, not one: node's test runner orders the files it is given by path, which put
# test/integration before test/unit. The broker starts only once the unit tests passed.
test: deps ## unit tests (no broker), then integration tests against a real broker (started and stopped here)
	@printf '\n== make test: unit tests (no broker)\n\n'
	@$(NODE_TEST) $(UNIT_TESTS)
	@printf '\n== make test: integration tests (a real Kafka broker, started and stopped here)\n\n'
	@tools/with-kafka.sh $(NODE_TEST) $(INTEGRATION_TESTS)

test-unit: deps ## unit tests only (no broker)
	$(NODE_TEST) $(UNIT_TESTS)

test-integration: deps ## integration tests only (broker started and stopped here)
	@tools/with-kafka.sh $(NODE_TEST) $(INTEGRATION_TESTS)

kafka-up: deps ## start the local Kafka broker on 127.0.0.1:9092 (idempotent)
	@tools/kafka/kafka.sh up

kafka-down: ## stop the local Kafka broker
	@tools/kafka/kafka.sh down

kafka-clean: ## stop the local Kafka broker and delete its data
	@tools/kafka/kafka.sh clean

run: deps kafka-up ## the service in the foreground against the local broker (:8080/metrics)
	MALLOC_ARENA_MAX=2 KYMAROS_KAFKA_BROKERS=$${KYMAROS_KAFKA_BROKERS:-127.0.0.1:9092} node --import tsx services/api/main.ts

demo: deps ## make run, plus sample runs published through the SDK; prints the URL to open (KYMAROS_KAFKA_BROKERS: another broker)
	@tools/demo/demo.sh

.PHONY: demo-k8s
demo-k8s: deps ## the bridge's loop: local API server, Kafka, the service and kymaros-bridge; reports made with kubectl show on /metrics
	@tools/demo/demo-k8s.sh

# Other Node.js majors than the machine's: the unit tests and a short integration profile (Kafka,
# the service, the SDK) under a Node.js from the npm registry's node-linux-* package, cached
# outside the repository (tools/node/node.sh). CI runs it for each major that engines allows.
NODE_MAJOR ?= 22
NODE_INTEGRATION_TESTS = test/integration/service.test.ts test/integration/producer-sdk.test.ts
.PHONY: test-node
test-node: deps ## unit tests and a short integration profile on Node.js NODE_MAJOR (22, 24), fetched once
	@bin=$$(tools/node/node.sh $(NODE_MAJOR)) && export PATH="$$bin:$$PATH" && \
	  printf '\n== make test-node: Node.js %s, unit tests\n\n' "$$(node --version)" && \
	  $(NODE_TEST) $(UNIT_TESTS) && \
	  printf '\n== make test-node: Node.js %s, integration profile\n\n' "$$(node --version)" && \
	  tools/with-kafka.sh $(NODE_TEST) $(NODE_INTEGRATION_TESTS)

.PHONY: kafka-cluster-up kafka-cluster-down
kafka-cluster-up: deps ## a local 3-broker KRaft cluster (RF 3, min ISR 2) on 127.0.0.1:19192,19292,19392 (idempotent)
	@tools/kafka/cluster.sh up

kafka-cluster-down: ## stop the local 3-broker cluster (its data is kept in .kafka-cluster/)
	@tools/kafka/cluster.sh down

.PHONY: test-cluster
test-cluster: deps ## the three-broker tests' long profile: two leader kills under load, a start with a broker down
	@KYMAROS_CLUSTER_FULL=1 $(NODE_TEST) test/integration/kafka-cluster.test.ts

.PHONY: kafka-up-secure
kafka-up-secure: deps ## the local broker plus a SASL_SSL (TLS + SCRAM-SHA-512) listener on 127.0.0.1:9094
	@KAFKA_SECURE=1 tools/kafka/kafka.sh up

.PHONY: reliability reliability-ci
reliability: deps ## reliability suite, full profile: crashes, broker outage, duplicates, hostile input, scrape load; then the three-broker long profile
	@tools/with-kafka.sh node --import tsx test/reliability/run.ts --profile full
	@$(MAKE) --no-print-directory test-cluster

reliability-ci: deps ## the reliability suite's short profile (a few minutes; run by CI)
	@tools/with-kafka.sh node --import tsx test/reliability/run.ts --profile ci

.PHONY: bench bench-smoke
bench: build ## benchmarks against the baselines (1M events, 10k tests; several minutes), one table
	@tools/with-kafka.sh node --import tsx bench/run.ts --profile full

bench-smoke: build ## the benchmark on tiny data (seconds): keeps it working, figures mean little
	@tools/with-kafka.sh node --import tsx bench/run.ts --profile smoke

.PHONY: kube-build kube-up kube-down kube-clean
kube-build: ## build kube-apiserver v1.34.4 and etcd v3.6.4 once per machine (cached outside the repo)
	@tools/kube/build.sh >/dev/null

kube-up: ## start the local Kubernetes API server + etcd on loopback (idempotent; kubeconfig in .kube-local/)
	@tools/kube/kube.sh up

kube-down: ## stop the local API server and etcd
	@tools/kube/kube.sh down

kube-clean: ## stop them and delete their data and certificates
	@tools/kube/kube.sh clean

.PHONY: screenshot
screenshot: deps ## rewrite docs/images/status-page.png (the README's picture) from the status page's browser test
	@KYMAROS_UPDATE_SCREENSHOT=1 tools/with-kafka.sh $(NODE_TEST) test/integration/status-page.test.ts

# A local Apicurio Registry (in-memory) with the Confluent-compatible API at
# http://127.0.0.1:8081/apis/ccompat/v7; fetched once per machine into ~/.cache/kymaros/apicurio.
REGISTRY_URL ?= http://127.0.0.1:$${REGISTRY_PORT:-8081}/apis/ccompat/v7
.PHONY: registry-up registry-down registry-schemas registry-compat
registry-up: ## start a local Apicurio Registry 3.3.3 on 127.0.0.1:8081 (idempotent; Java 21+)
	@tools/registry/registry.sh up

registry-down: ## stop the local schema registry
	@tools/registry/registry.sh down

registry-schemas: deps ## register schemas/ into KYMAROS_SCHEMA_REGISTRY_URL (default: the local one) with BACKWARD compatibility
	@KYMAROS_SCHEMA_REGISTRY_URL=$${KYMAROS_SCHEMA_REGISTRY_URL:-$(REGISTRY_URL)} node --import tsx tools/registry/schemas.ts

registry-compat: deps ## registry-schemas, then show that a breaking change is refused
	@KYMAROS_SCHEMA_REGISTRY_URL=$${KYMAROS_SCHEMA_REGISTRY_URL:-$(REGISTRY_URL)} node --import tsx tools/registry/schemas.ts --breaking
