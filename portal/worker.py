"""The job worker's entry point: `.venv/bin/huey_consumer portal.worker.huey -w 2`.
The app is built from the environment (as wsgi.py), the queue chosen by JOBS_BACKEND."""

from portal import create_app, jobs

app = create_app()
jobs.register()
huey = jobs.huey
