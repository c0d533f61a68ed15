# The registry's image for compose.yaml: scripts/serve runs in it (docs/production.md).
FROM python:3.11-slim
WORKDIR /registry
COPY . .
RUN rm -rf .venv instance/* && scripts/setup
ENV REGISTRY_ENV=production REGISTRY_BIND=0.0.0.0:8000 REGISTRY_INSTANCE_PATH=/registry/instance \
    REGISTRY_UPLOAD_FOLDER=/uploads
EXPOSE 8000
CMD ["scripts/serve", "web"]
