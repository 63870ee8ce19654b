# Relais server image. docs/operations.md ("Container") says how to build, run and back it up.
#
#   docker build -t relais:$(git rev-parse --short HEAD) .
#
# The binary is self-contained: the web assets, the clinical and billing rules and the default
# configuration are compiled in. The image holds the binary, the CA certificates and nothing else.
# Needs BuildKit (the default builder since Docker 23) for the cache mounts.

# ---- build ------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The cargo registry and target/ are cache mounts, so a rebuild does not fetch or compile every
# crate again; the binary is copied out of target/ within the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked --bin relais \
    && install -D -m 0755 target/release/relais /out/relais

# ---- run --------------------------------------------------------------------------------------
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 relais \
    && useradd --system --uid 10001 --gid relais --home-dir /var/lib/relais --no-create-home \
        --shell /usr/sbin/nologin relais \
    && install -d -o relais -g relais -m 0700 /var/lib/relais
COPY --from=build /out/relais /usr/local/bin/relais

# Everything relais writes lives here: the SQLite database (when used), the VAPID key, and .eml
# files when email.transport = "files". Mount a volume on it and back it up (both the database
# and the key: losing the key cuts every phone's push subscription).
VOLUME ["/var/lib/relais"]
WORKDIR /var/lib/relais
USER relais

# Defaults for a container; any setting can be overridden with RELAIS__SECTION__KEY, or with a
# file passed as `serve --config FILE`. Before `serve` starts, a site must at least set
# RELAIS__SERVER__PUBLIC_URL, RELAIS__EMAIL__SMTP_URL (or RELAIS__EMAIL__TRANSPORT=files) and
# RELAIS__PUSH__VAPID_SUBJECT: serve refuses to start (exit code 2) without them.
ENV RELAIS__SERVER__HOST=0.0.0.0 \
    RELAIS__PUSH__VAPID_KEY_FILE=/var/lib/relais/vapid-private.key \
    RELAIS__DATABASE__URL=sqlite:///var/lib/relais/relais.db?mode=rwc

EXPOSE 8080

# No HEALTHCHECK: the slim image has no HTTP client and we do not add one just for that.
# Orchestrators probe GET /livez (liveness) and GET /readyz (readiness) on port 8080.

ENTRYPOINT ["relais"]
CMD ["serve"]
