# syntax=docker/dockerfile:1
# autotask-connect: one image for every role (`start`, `start --role web`, `start --role worker`).
# Build: docker build -t autotask-connect .

# Node.js 24 is the Active LTS line; the app runs on any Node.js >= 20.18.1.
ARG NODE_IMAGE=node:24-bookworm-slim

# --- build: compile TypeScript to dist/ ---
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the `prepare` script compiles, and src/ is not copied yet (keeps this layer cached).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# --- runtime: production dependencies and the compiled code only ---
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would try to compile without TypeScript installed.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY manifest.yml ./
# The single-process role keeps a generated CREDENTIALS_KEY under ./.data; let the app write there.
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
# Slim images have no curl; Node's fetch does the probe. PORT is read at run time, not build time.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["start"]
