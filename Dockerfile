# sidecar-agent container image: a Debian 12 build stage, and a runtime stage FROM scratch that
# holds only the binary, the shared libraries it (and the libcurl it dlopens) needs, a CA bundle and
# a few /etc files. No Docker engine runs where this is developed: scripts/image-check (ctest
# image_runtime_root) checks this file and builds and runs the runtime stage's root offline.
#
#   docker build -t sidecar-agent:0.1.0 .

ARG SIDECAR_VERSION=0.1.0

FROM debian:12 AS build
WORKDIR /src
# The packages first, from the script alone, so that a source change does not reinstall them.
COPY scripts/bootstrap scripts/bootstrap
RUN BOOTSTRAP_BUILD_ONLY=1 scripts/bootstrap && rm -rf /var/lib/apt/lists/*
COPY . .
RUN cmake -S . -B build/image -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DSIDECAR_BUILD_TESTS=OFF -DSIDECAR_BUILD_BENCHMARKS=OFF \
 && cmake --build build/image --target sidecar-agent \
 && scripts/collect-runtime-root --strip build/image/agent/sidecar-agent /runtime-root \
 && chroot /runtime-root /usr/local/bin/sidecar-agent version

FROM scratch AS runtime
ARG SIDECAR_VERSION
COPY --from=build /runtime-root /
# 65532 owns /var/run and /var/run/datadog (sockets). The FireLens variant of the task definition
# runs this container as user "0" so FireLens can share /var/run/fluent.sock with it.
USER 65532:65532
# DogStatsD, APM, Fluent Forward (FireLens).
EXPOSE 8125/udp 8126/tcp 24224/tcp
# For `docker run` and Docker Compose only: ECS ignores an image's HEALTHCHECK, so the task
# definition carries the same command in its container `healthCheck`.
HEALTHCHECK --interval=10s --timeout=5s --retries=3 --start-period=5s \
  CMD ["/usr/local/bin/sidecar-agent", "health"]
ENTRYPOINT ["/usr/local/bin/sidecar-agent"]
CMD ["run"]
LABEL org.opencontainers.image.title="sidecar-agent" \
      org.opencontainers.image.description="Drop-in replacement for the Datadog Agent as an AWS ECS sidecar: DogStatsD, APM traces and FireLens logs" \
      org.opencontainers.image.version="${SIDECAR_VERSION}" \
      org.opencontainers.image.base.name="scratch"
