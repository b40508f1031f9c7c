# One image recipe for every service: docker build --build-arg SERVICE=auth -f infra/docker/service.Dockerfile .
# Services run their TypeScript directly on Node 24 (type stripping), so there is no build
# stage; the workspace layout is kept so workspace packages resolve outside node_modules.
FROM node:24-bookworm-slim AS deps
ARG SERVICE
WORKDIR /app
RUN corepack enable
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY packages ./packages
COPY services/${SERVICE}/package.json ./services/${SERVICE}/package.json
RUN pnpm install --frozen-lockfile --prod --filter "@palaver/${SERVICE}..."

FROM node:24-bookworm-slim
ARG SERVICE
ENV NODE_ENV=production SERVICE=${SERVICE}
WORKDIR /app
COPY --from=deps --chown=node:node /app ./
COPY --chown=node:node services/${SERVICE}/src ./services/${SERVICE}/src
USER node
WORKDIR /app/services/${SERVICE}
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||4001)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "src/server.ts"]
