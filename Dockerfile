# syntax=docker/dockerfile:1
# kymaros-api: multi-stage image. Build: docker build -t kymaros-api:0.1.0 .
# Node.js 22 (LTS), a major CI tests (make test-node NODE_MAJOR=22), on Debian 12, as slim as
# Debian gets; pin a digest in the registry you build from.
ARG NODE_IMAGE=node:22-bookworm-slim

# --- build: all dependencies, compile services/ to dist/ -------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
COPY schemas ./schemas
# tsc -p tsconfig.build.json: dist/services/... (the entrypoint is dist/services/api/main.js)
RUN npm run build

# --- runtime: production dependencies, the compiled code and the Avro schemas only -----------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# glibc gives each thread that allocates its own malloc arena, and keeps what was freed in them;
# two (the main one and one shared) keep RSS lower at the same replay time. The tests and the
# bench start the service with the same setting (test/support/service.ts, RUNTIME_ENV).
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time: dist/services/contract/ finds them as ../../../schemas/ (= /app/schemas).
# Only the .avsc files: the golden vectors and README in schemas/ are test material.
COPY --from=build /app/schemas/*.avsc ./schemas/
# Files stay owned by root and read-only to the process; the Deployment also mounts the root
# filesystem read-only, with an emptyDir on /tmp. The uid matches runAsUser in k8s/deployment.yaml.
USER 10001:10001
EXPOSE 8080
# node as PID 1 receives SIGTERM directly: the service drains and exits on it (no shell wrapper).
CMD ["node", "dist/services/api/main.js"]
