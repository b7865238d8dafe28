"""The portal for bench/load.py: `gunicorn --chdir bench app_wsgi:app`.

Opens the throw-away database load.py built (BENCH_DATABASE_URL) with the production-shaped
Config, a fixed secret and rate limits off (RATELIMIT_ENABLED=False: the whistle form allows
30 POSTs an hour per user, which a load test passes in a second). Never a real database.
"""

import os

from benchdb import bench_config

from portal import create_app

app = create_app(bench_config(os.environ["BENCH_DATABASE_URL"]))
