# alertform in a container: the static (musl) binary on an empty image, with the CA roots it
# checks vendors' TLS certificates against (rustls reads the system's roots). Build the binary
# first with `scripts/release-build.sh x86_64-unknown-linux-musl` (or take it from a release):
#   docker build -t alertform --build-arg BINARY=dist/alertform .
#   docker run --rm -v "$PWD:/work" -w /work -e ALERTFORM_ENDPOINT -e ALERTFORM_TOKEN alertform plan alerting
FROM debian:bookworm-slim AS roots
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/*

FROM scratch
ARG BINARY=dist/alertform
COPY --from=roots /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY ${BINARY} /alertform
ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65534:65534
WORKDIR /tmp
ENTRYPOINT ["/alertform"]
