# syntax=docker/dockerfile:1
# The edge: nginx serving the web client's build and routing /api/* and /socket.io/* to
# the services (infra/nginx/edge.conf.template, filled from the environment at start).
#   docker build -f infra/docker/edge.Dockerfile -t palaver/edge .

ARG NODE_IMAGE=node:24-slim

# The web client's build (web/dist).
FROM ${NODE_IMAGE} AS web
ARG PNPM_VERSION=10.34.9
RUN npm install --global --no-fund --no-audit "pnpm@${PNPM_VERSION}"
WORKDIR /src
COPY pnpm-lock.yaml pnpm-workspace.yaml ./
RUN pnpm fetch
COPY . .
RUN pnpm install --offline --frozen-lockfile --filter "@palaver/web..." \
  && pnpm --filter @palaver/web run build \
  && test -f web/dist/index.html

FROM nginx:1.27-alpine AS edge
# Run unprivileged: no `user` directive, the pid file in /tmp, and the folders nginx and
# the image's template step write to owned by the nginx user (uid 101). The root
# filesystem can then be read-only with /tmp, /var/cache/nginx and /etc/nginx/conf.d
# mounted writable (the Kubernetes manifests do).
RUN rm -f /etc/nginx/conf.d/default.conf \
  && sed -i -e '/^user /d' -e 's,/var/run/nginx.pid,/tmp/nginx.pid,' /etc/nginx/nginx.conf \
  && chown -R nginx:nginx /var/cache/nginx /etc/nginx/conf.d
# The image's entrypoint substitutes ${VAR}s that are set in the environment (only those,
# so nginx's own $variables stay) and writes /etc/nginx/conf.d/edge.conf.
COPY infra/nginx/edge.conf.template /etc/nginx/templates/edge.conf.template
COPY --from=web /src/web/dist /usr/share/nginx/html
# Defaults for one host; compose and Kubernetes set the upstreams.
ENV EDGE_LISTEN=8080 \
    AUTH_UPSTREAM=auth:4001 \
    MESSAGE_UPSTREAM=message:4002 \
    UPLOAD_UPSTREAM=upload:4003 \
    SEARCH_UPSTREAM=search:4005 \
    GATEWAY_SERVERS="server gateway:4004;" \
    UPLOAD_BODY_LIMIT=256m \
    WEB_ROOT=/usr/share/nginx/html
USER 101
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/"]
