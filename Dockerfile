# The service image: its locked dependencies in a virtual environment, its code, a non-root user.
# The base is pinned by digest, so a rebuild of one commit starts from the same bytes, on a FROM
# line of its own, where Dependabot reads and moves it (it cannot read an ARG's default). By hand:
#   docker buildx imagetools inspect python:3.12-slim-bookworm --format '{{json .Manifest.Digest}}'
# and replace the digest below (the tag stays for the reader). `--build-arg PYTHON_IMAGE=...`
# builds on another base instead (the tests' debootstrapped Python); the pinned stage is then
# never pulled.
ARG PYTHON_IMAGE=python-base

FROM python:3.12-slim-bookworm@sha256:782412e85d0f0984994c290652577d4018aff08145c85b262bb63dc0c7522254 AS python-base

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY lock/service.txt /tmp/service.txt
# Behind a TLS-inspecting proxy, hand the build its CA as a secret (never a layer):
#   docker build --secret id=ca-bundle,src=/etc/ssl/certs/ca-certificates.crt .
# pip then trusts it on top of the image's own bundle.
RUN --mount=type=secret,id=ca-bundle \
    cert=/etc/ssl/certs/ca-certificates.crt \
    && if [ -s /run/secrets/ca-bundle ]; then \
        cat "$cert" /run/secrets/ca-bundle > /tmp/ca-bundle.pem && cert=/tmp/ca-bundle.pem; \
    fi \
    && python -m venv /opt/venv \
    && PIP_CERT="$cert" /opt/venv/bin/pip install --no-cache-dir --require-hashes \
        --only-binary=:all: -r /tmp/service.txt \
    && rm -f /opt/venv/lib/python*/site-packages/swagger_ui/static/swagger-editor* \
        /opt/venv/lib/python*/site-packages/swagger_ui/static/*.map
# (/docs serves Swagger UI's bundle and styles only, never the editor or source maps.)

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN groupadd --system --gid 10001 picus \
    && useradd --system --uid 10001 --gid picus --no-create-home --shell /usr/sbin/nologin picus
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY picus/ picus/
COPY service/ service/
RUN python -m compileall -q picus service
USER 10001:10001
EXPOSE 8000
# uvicorn with the production flags (uvloop, httptools, keep-alive above the ALB's idle
# timeout, proxy headers, graceful shutdown), all set in service/__main__.py from settings.
CMD ["python", "-m", "service"]
