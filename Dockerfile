# syntax=docker/dockerfile:1
# Build stage: Deno 2.9.6 compiles main.ts into one self-contained binary (npm dependencies included).
FROM denoland/deno:bin-2.9.6 AS deno
FROM debian:bookworm-slim AS build
COPY --from=deno /deno /usr/local/bin/deno
WORKDIR /src
COPY deno.json deno.lock ./
COPY main.ts ./
COPY src/ src/
RUN deno install --frozen --entrypoint main.ts
RUN deno task compile

# Runtime stage: the binary, a CA bundle for https upstreams, and a non-root user.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/prom-exporter /usr/local/bin/prom-exporter
COPY examples/seed.json /etc/prom-exporter/seed.json
USER nonroot:nonroot
EXPOSE 9999
ENTRYPOINT ["/usr/local/bin/prom-exporter"]
CMD ["start", "--url", "file:///etc/prom-exporter/seed.json", "--service", "foo", "--exclude", "exclude_me"]
