# The Flask seed design (bench/baselines/flask_app.py) as a container, on the same base as the
# service's image, so that both run under the same CPU and memory limits (bench/capacity.py).
ARG PYTHON_IMAGE
FROM ${PYTHON_IMAGE}
ARG REQUIREMENTS
RUN --mount=type=secret,id=ca-bundle \
    cert=/etc/ssl/certs/ca-certificates.crt \
    && if [ -s /run/secrets/ca-bundle ]; then \
        cat "$cert" /run/secrets/ca-bundle > /tmp/ca-bundle.pem && cert=/tmp/ca-bundle.pem; \
    fi \
    && python -m venv /opt/venv \
    && PIP_CERT="$cert" /opt/venv/bin/pip install --no-cache-dir --only-binary=:all: $REQUIREMENTS
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1
WORKDIR /app
COPY bench/ bench/
USER 10001:10001
CMD ["sh", "-c", "exec gunicorn --workers 2 --threads 2 --worker-class gthread --bind 127.0.0.1:${PICUS_PORT} bench.baselines.flask_app:app"]
