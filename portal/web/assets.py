"""Static assets for slow mobile data: compressed on the way out, cached for a year by the
phone, and addressed by content hash so a new version is fetched at once.

Only CSS and JavaScript are compressed. HTML pages carry the CSRF token next to
user-supplied text, the precondition for BREACH; they are small (about 2-3 KB) anyway.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from flask import current_app, url_for
from flask_compress import Compress

compress = Compress()


@lru_cache(maxsize=64)
def _digest(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]


def static_url(filename: str) -> str:
    """`url_for('static')` with a version that changes whenever the file does."""
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=_digest(str(path), path.stat().st_mtime))


def init_app(app) -> None:
    app.config.setdefault("COMPRESS_MIMETYPES", [
        "text/css", "text/javascript", "application/javascript"])
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 6)  # level 4 made htmx larger than gzip
    # Static files are streamed; phones on plain-HTTP intranets only offer gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    compress.init_app(app)
    app.jinja_env.globals["static_url"] = static_url
