# syntax=docker/dockerfile:1
# Build a wheel with the migrations inside it, then install it into a slim runtime as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
RUN pip install --no-cache-dir "uv==0.13.9"
COPY pyproject.toml constraints.txt README.md ./
COPY src ./src
COPY migrations ./migrations
RUN cp -r migrations src/rsc_service/_migrations \
 && uv venv /opt/venv \
 && VIRTUAL_ENV=/opt/venv uv pip install --no-cache -c constraints.txt .

FROM python:3.11-slim AS runtime
RUN useradd --create-home --uid 10001 rsc
COPY --from=build /opt/venv /opt/venv
COPY docker/entrypoint.sh /usr/local/bin/rsc-entrypoint
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    RSC_ENVIRONMENT=production \
    RSC_SERVER__HOST=0.0.0.0 \
    RSC_DATABASE__URL=sqlite+aiosqlite:////data/rsc-service.db
RUN mkdir /data && chown rsc /data
USER rsc
WORKDIR /home/rsc
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status == 200 else 1)"
ENTRYPOINT ["rsc-entrypoint"]
