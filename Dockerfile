# sfcdc container image: a static binary on a distroless base, run as a
# numeric non-root user.
#
#   docker build -t sfcdc .
#   docker run --rm -v /etc/sfcdc:/etc/sfcdc:ro \
#     -e SFCDC_CLIENT_ID -e SFCDC_CM_TOKEN -e SFCDC_REDIS_PASSWORD \
#     -p 9464:9464 sfcdc
#
# The configuration is read from /etc/sfcdc/sfcdc.yaml (see
# examples/production-jwt.yaml); set monitoring.listen to 0.0.0.0:9464 for
# the metrics and probes to be reachable from outside the container.

# Build stage: the Go toolchain the module asks for.
FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# CGO_ENABLED=0: a static binary (pure-Go DNS and user lookup), which the
# distroless static base needs; -trimpath keeps build paths out of it; -s -w
# drop the symbol tables.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o /out/sfcdc ./cmd/sfcdc

# Run stage: no shell, no package manager; CA certificates (for Salesforce,
# CM and rediss://) and tzdata are part of the base image.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/sfcdc /sfcdc
# 65532 is distroless's "nonroot"; numeric so that Kubernetes' runAsNonRoot
# can verify it without reading /etc/passwd.
USER 65532:65532
# /metrics, /healthz, /readyz (monitoring.listen).
EXPOSE 9464
ENTRYPOINT ["/sfcdc"]
CMD ["run", "--config", "/etc/sfcdc/sfcdc.yaml"]
