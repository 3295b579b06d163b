# normcore on one host: docker build -t normcore . && docker run -p 8501:8501 normcore
# (docs/deploy.md). CPU-only torch from deploy/requirements-host.txt keeps the image small.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY deploy/requirements-host.txt deploy/requirements-host.txt
RUN pip install -r deploy/requirements-host.txt

COPY .streamlit/ .streamlit/
COPY app.py ./
COPY pages/ pages/
COPY normcore/ normcore/
COPY figures/ figures/
COPY ui/ ui/

RUN useradd --create-home --uid 10001 normcore
USER normcore

EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() != b'ok')"]
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
