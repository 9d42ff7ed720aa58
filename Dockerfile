# syntax=docker/dockerfile:1
#
# Xuecheng container image: `docker build -t xuecheng .` (BuildKit required for the cache mounts).
#
#   builder  rust:1-bookworm + the toolchain pinned in rust-toolchain.toml, wasm-bindgen-cli,
#            node/npm for binaryen's wasm-opt; runs scripts/build --release.
#   runtime  debian:bookworm-slim with ca-certificates, the `xuecheng` binary and the static site.
#
# The SQL migrations are embedded into the binary at compile time, so they are not copied.

############################################################################################
# Builder
############################################################################################
FROM rust:1-bookworm AS builder

# nodejs + npm run wasm-opt from the npm package `binaryen` (root package.json), so no
# binaryen release has to be downloaded from GitHub.
RUN apt-get update \
    && apt-get install -y --no-install-recommends nodejs npm \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /src

# Toolchain first, in its own layer: it only changes when rust-toolchain.toml does.
# `rustup toolchain install` with no argument (rustup >= 1.28) installs the toolchain file's
# channel with its components and the wasm32 target; older rustup does the same on `rustup show`.
# The grep fails the build early if the wasm target did not come along.
COPY rust-toolchain.toml ./
RUN (rustup toolchain install || rustup show) \
    && rustup show active-toolchain \
    && rustup target list --installed | grep -qx wasm32-unknown-unknown

# The wasm-bindgen CLI must be exactly the version of the `wasm-bindgen` crate pinned in
# Cargo.toml (=0.2.130), otherwise the generated JS glue does not match the wasm module.
# Installed before the sources are copied so that code changes do not reinstall it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    cargo install wasm-bindgen-cli --version 0.2.130 \
    && wasm-bindgen --version

# npm dependencies (binaryen) from the lock file; a layer of its own for the same reason.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund \
    && node_modules/.bin/wasm-opt --version

# node_modules/.bin on PATH: scripts/build (like cargo-leptos) looks for wasm-opt there.
# SQLX_OFFLINE: no database exists at build time; sqlx's compile-time-checked macros, if used,
# read the committed .sqlx/ metadata instead (it is not excluded by .dockerignore).
# LEPTOS_OUTPUT_NAME: leptos_config bakes it in with option_env! when set at compile time
# (cargo-leptos normally exports it); it is also set at run time below.
ENV PATH=/src/node_modules/.bin:$PATH \
    SQLX_OFFLINE=true \
    LEPTOS_OUTPUT_NAME=xuecheng \
    CARGO_TERM_COLOR=never

COPY . .

# target/ is a cache mount (incremental rebuilds of dependencies across builds), so it is not
# part of any image layer: the outputs are copied to /out inside the same RUN.
# target/site is removed first so that files deleted from public/ or style/ do not survive
# in the cached directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,id=xuecheng-target,target=/src/target,sharing=locked \
    set -eux; \
    rm -rf target/site; \
    chmod +x scripts/build; \
    ./scripts/build --release; \
    mkdir -p /out; \
    cp target/release/xuecheng /out/xuecheng; \
    cp -a target/site /out/site; \
    test -s /out/site/pkg/xuecheng.js; \
    test -s /out/site/pkg/xuecheng_bg.wasm; \
    test -s /out/site/pkg/xuecheng.css

############################################################################################
# Runtime
############################################################################################
FROM debian:bookworm-slim AS runtime

LABEL org.opencontainers.image.title="xuecheng" \
      org.opencontainers.image.description="Xuecheng online-course platform (Leptos SSR + hydration)" \
      org.opencontainers.image.licenses="MIT"

# ca-certificates: outgoing TLS (rustls with the system trust store, PostgreSQL/Redis over TLS).
# Nothing else: the HEALTHCHECK below uses bash, which bookworm-slim already ships, not curl.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*

# Fixed, non-root uid/gid 10001 (above any host user range), so that volume and secret
# ownership can be set from the host and `runAsNonRoot` checks can verify a numeric user.
RUN groupadd --gid 10001 xuecheng \
    && useradd --uid 10001 --gid 10001 --home-dir /app --no-create-home \
       --shell /usr/sbin/nologin xuecheng

WORKDIR /app

# Binary and site stay owned by root: the service can read, not modify, its own code.
COPY --from=builder /out/xuecheng /app/xuecheng
COPY --from=builder /out/site /app/site

# Writable state (the default SQLite database sqlite://data/xuecheng.db, relative to WORKDIR).
# Created and chowned before VOLUME, because changes after VOLUME are discarded; a fresh named
# volume mounted here inherits this ownership.
RUN mkdir -p /app/data && chown 10001:10001 /app/data
VOLUME ["/app/data"]

# LEPTOS_SITE_ADDR: listen on all interfaces inside the container (the default, 127.0.0.1,
#   is unreachable from outside it).
# LEPTOS_SITE_ROOT / LEPTOS_SITE_PKG_DIR / LEPTOS_OUTPUT_NAME: where and under which name the
#   static site lives (/app/site/pkg/xuecheng.{js,css}, xuecheng_bg.wasm); there is no Cargo.toml
#   in the image, so Leptos takes its options from the environment.
# LEPTOS_ENV=PROD: no dev-only behaviour (live reload).
# LOG_FORMAT=json: one JSON object per line for log collectors.
ENV LEPTOS_SITE_ADDR=0.0.0.0:3000 \
    LEPTOS_SITE_ROOT=/app/site \
    LEPTOS_SITE_PKG_DIR=pkg \
    LEPTOS_OUTPUT_NAME=xuecheng \
    LEPTOS_ENV=PROD \
    LOG_FORMAT=json \
    RUST_LOG=info

USER 10001:10001

EXPOSE 3000

# Liveness probe without curl: bash's /dev/tcp sends a plain HTTP request to GET /healthz on
# the port taken from LEPTOS_SITE_ADDR, and the status code of the first response line must be
# 200. Exec form, so it runs under bash (not /bin/sh = dash, which has no /dev/tcp).
# Only `serve` listens on HTTP: for `worker` and `migrate` containers disable it
# (docker-compose.yml does, with `healthcheck: disable: true`).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/bin/bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${LEPTOS_SITE_ADDR##*:}\" && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 4 _ code _ <&3 && [ \"$code\" = 200 ]"]

ENTRYPOINT ["/app/xuecheng"]
CMD ["serve"]
