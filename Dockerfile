# syntax=docker/dockerfile:1
# One image per function: docker build --build-arg FUNCTION=send-web -t <registry>/digital-fte/send-web .
# The knowledge-base ingest Job is built the same way: --build-arg FUNCTION=kb-ingest.
# The build installs only that function's requirements (image/requirements.py reads its
# fn-<function> extra in pyproject.toml) and copies only the code a function may use: .dockerignore
# keeps the dev stack, the evaluation, the CLI, tests and the web form out of the build context.
# torch: pass PIP_EXTRA_INDEX_URL (PyTorch's CPU wheel index) as a build arg for a CPU-only wheel.
ARG PYTHON=3.11

# The built web form, which only the web-page image takes (web-form/README.md).
FROM node:20-slim AS page
WORKDIR /web
COPY web-form/package.json web-form/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web-form/ ./
RUN npm run build

FROM python:${PYTHON}-slim AS requirements
ARG FUNCTION
ARG PIP_EXTRA_INDEX_URL=""
RUN test -n "$FUNCTION" || (echo "pass --build-arg FUNCTION=<function>, e.g. send-web" >&2; exit 1)
COPY pyproject.toml image/requirements.py /build/
RUN python /build/requirements.py "$FUNCTION" > /build/requirements.txt \
 && PIP_EXTRA_INDEX_URL="$PIP_EXTRA_INDEX_URL" pip install --no-cache-dir --prefix=/install \
    -r /build/requirements.txt

FROM python:${PYTHON}-slim
ARG FUNCTION
RUN useradd --uid 10001 --no-create-home --shell /usr/sbin/nologin function
COPY --from=requirements /install /usr/local
WORKDIR /app
COPY events/ events/
COPY shared/ shared/
COPY sql/ sql/
COPY functions/__init__.py functions/
COPY functions/ /tmp/functions/
RUN folder="$(echo "$FUNCTION" | tr - _)" \
 && if [ "$FUNCTION" = kb-ingest ]; then python -c "import shared.kb.ingest"; \
    else mv "/tmp/functions/$folder" "functions/$folder" && python -c "import functions.$folder.main"; fi \
 && rm -rf /tmp/functions
# The embedding model, exported to ONNX once here rather than by each new pod (onnx_export.py).
ENV FTE_MODEL_CACHE=/app/models
RUN if [ "$FUNCTION" = agent-runner ] || [ "$FUNCTION" = kb-ingest ]; then \
      HF_HUB_OFFLINE=1 PYTHONPATH=/app python -m shared.kb.onnx_export; fi
RUN --mount=type=bind,from=page,source=/web/dist,target=/tmp/page \
    if [ "$FUNCTION" = web-page ]; then mkdir -p web-form && cp -r /tmp/page web-form/dist; fi
ENV PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 HF_HUB_OFFLINE=1
USER 10001
# Knative sets PORT; the Service's command and args (knative/base/services.yaml) start the
# function: python -m shared.serving --target=<function> --source=functions/<function>/main.py …
# (functions-framework's app and server, with Prometheus' /metrics beside the function).
# The kb-ingest Job's command is python -m shared.kb.ingest DIR (knative/jobs/kb-ingest.yaml).
ENTRYPOINT ["python", "-m", "shared.serving"]
