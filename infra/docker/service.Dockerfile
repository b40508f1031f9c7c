# syntax=docker/dockerfile:1
# One recipe for every service:
#   docker build -f infra/docker/service.Dockerfile --build-arg SERVICE=auth -t palaver/auth .
# SERVICE is auth, message, upload, search or gateway. Services run their TypeScript directly on
# Node 24 (type stripping), so nothing is compiled: the build stage installs the one
# service's production dependencies and the runtime stage copies only what it needs.
#
# Why no `pnpm deploy`: it copies workspace packages (@palaver/config, …) into
# node_modules, and Node refuses to strip types from files under node_modules
# (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING). So the workspace layout is kept and pruned
# instead: `pnpm install --prod --filter-prod "@palaver/<service>..."` installs the service
# and the workspace packages it depends on in production (--filter-prod leaves out those
# reached only through devDependencies, such as @palaver/testing) without dev
# dependencies; node_modules/@palaver/* stay symlinks to packages/*, outside node_modules.

ARG NODE_IMAGE=node:24-slim

FROM ${NODE_IMAGE} AS build
ARG SERVICE
ARG PNPM_VERSION=10.34.9
RUN test -n "${SERVICE}" || (echo "build with --build-arg SERVICE=auth|message|upload|search|gateway" >&2; exit 1)
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /src
# Fetch every locked package into the store from the lockfile alone: this layer is reused
# until the lockfile changes, whatever source changes.
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch --prod
COPY . .
RUN pnpm install --offline --frozen-lockfile --prod --filter-prod "@palaver/${SERVICE}..."
# What the runtime needs, in the same layout: the root manifest and node_modules (the
# virtual store), the workspace packages, and the one service.
RUN mkdir -p /out/services \
  && cp -a package.json node_modules packages /out/ \
  && cp -a "services/${SERVICE}" /out/services/ \
  && find /out/packages /out/services -depth \( -name test -o -name bench -o -name '*.test.ts' \) -exec rm -rf {} +

FROM ${NODE_IMAGE} AS runtime
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE} HOST=0.0.0.0
WORKDIR /app
COPY --from=build --chown=root:root /out ./
# /data is where volumes mount (the upload service's UPLOAD_ROOT, auth's keys); a named
# volume takes this folder's owner, so the non-root user can write to it.
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /app/services/${SERVICE}
EXPOSE 4001 4002 4003 4004
# Liveness only (/healthz): readiness (/readyz) is the orchestrator's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "const p=process.env.PORT||{auth:4001,message:4002,upload:4003,gateway:4004}[process.env.SERVICE];fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(2500)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "src/server.ts"]
