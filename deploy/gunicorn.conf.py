"""gunicorn for production: `gunicorn -c deploy/gunicorn.conf.py wsgi:app` (systemd's
portal.service). Sync workers (the portal is CPU-light, PostgreSQL-bound); nginx in front
buffers slow phones, so workers are never held by a slow upload."""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
timeout = 60            # a PDF dossier of a long case renders in well under this
graceful_timeout = 30
keepalive = 5
max_requests = 2000     # recycle workers now and then (memory)
max_requests_jitter = 200
accesslog = "-"
errorlog = "-"
forwarded_allow_ips = "127.0.0.1"
