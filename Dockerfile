# syntax=docker/dockerfile:1
# The bridge's image (docs/deployment.md): three stages, the last one small and run as the
# unprivileged user "node". Its commands are exercised outside Docker by
# test/e2e/packaging.test.ts (the build, the start command, the health check, the CLI).
#
#   docker build -t max-bitrix24-bridge .
#   docker run -d --env-file deploy/bridge.env -v bridge-data:/data -p 127.0.0.1:3000:3000 max-bitrix24-bridge
#
# Debian bookworm, not Alpine: better-sqlite3 ships prebuilt binaries for glibc, and the
# native module built in "deps" runs unchanged in the slim runtime of the same Debian.
ARG NODE_VERSION=20

# Production dependencies only (what `npm ci --omit=dev` installs), native modules built here:
# the full image has python3, make and g++ in case better-sqlite3 has no prebuilt binary.
FROM node:${NODE_VERSION}-bookworm AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund

# The bundle: every dependency (esbuild is one), then `npm run build` → dist/start.mjs.
FROM node:${NODE_VERSION}-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY scripts/build.mjs ./scripts/build.mjs
COPY src ./src
COPY emulators ./emulators
COPY bench/processes ./bench/processes
RUN node scripts/build.mjs

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
# SQLite by default, in the volume; DATABASE_URL=postgres://… selects PostgreSQL (deploy/compose.yaml).
ENV NODE_ENV=production \
    PORT=3000 \
    DATABASE_URL=/data/bridge.sqlite
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The sources too: the commands (`max-bitrix24-bridge migrate`, `user add`, `doctor`, …) run them with tsx.
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
COPY emulators ./emulators
COPY config ./config
COPY deploy/healthcheck.mjs ./deploy/healthcheck.mjs
# The code stays root's and read-only to the bridge; only /data is its own. The commands as
# `max-bitrix24-bridge <command>` (package.json's bin), as `npm install -g` would link it.
RUN mkdir -p /data && chown node:node /data \
 && ln -s /app/bin/max-bitrix24-bridge.mjs /usr/local/bin/max-bitrix24-bridge
USER node
VOLUME ["/data"]
EXPOSE 3000
# Liveness (GET /health, no I/O): node, since the slim image has no curl. docs/operations.md.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["node", "deploy/healthcheck.mjs"]
# What `npm start` runs after its build step; SIGTERM stops it cleanly (exit 0).
CMD ["node", "--enable-source-maps", "--max-semi-space-size=4", "dist/start.mjs"]
