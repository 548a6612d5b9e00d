# Baton gateway image: Node 20 on Debian slim, runs as the unprivileged `node` user.
#   docker build -t baton .
#   docker run --network host -v $PWD/baton.yaml:/etc/baton/baton.yaml:ro baton
# The production layout (Baton + drachtio-server + rtpengine + Redis) is docker/compose.yml.

# --- build: compile TypeScript, then drop the dev dependencies ------------------------------
FROM node:20-bookworm-slim AS build
# better-sqlite3 downloads a prebuilt binary; these are only its fallback for compiling one.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off here: `prepare` builds, and the sources are not copied yet.
RUN npm install --no-audit --no-fund --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY config ./config
COPY engine ./engine
COPY gateway ./gateway
COPY bench ./bench
COPY test/support ./test/support
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

# --- runtime ---------------------------------------------------------------------------------
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
# SQLite (the default store) writes under ./data; the config file is mounted read-only.
RUN mkdir -p /app/data /etc/baton && chown node:node /app/data
USER node
# SIP (udp + tcp) and HTTP (/metrics, /healthz, /readyz, /api).
EXPOSE 5060/udp 5060/tcp 8080/tcp
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains: new calls get 503, calls in progress get shutdown.drainTimeoutMs to finish.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "bin/baton.js"]
CMD ["--config", "/etc/baton/baton.yaml"]
