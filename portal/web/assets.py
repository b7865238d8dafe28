"""Static assets for slow mobile data: compressed on the way out, cached for a year by the
phone, and addressed by content hash so a new version is fetched at once.

Only CSS and JavaScript are compressed. HTML pages carry the CSRF token next to
user-supplied text, the precondition for BREACH; they are small (about 2-3 KB) anyway.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import rcssmin
import zopfli.gzip
from flask import current_app, request, url_for
from flask_compress import Compress
from werkzeug.security import safe_join

compress = Compress()


@lru_cache(maxsize=64)
def _digest(path: str, mtime: float) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:8]


def static_url(filename: str) -> str:
    """`url_for('static')` with a version that changes whenever the file does."""
    path = Path(current_app.static_folder) / filename
    return url_for("static", filename=filename, v=_digest(str(path), path.stat().st_mtime))


PRECOMPRESSED = {"text/css", "text/javascript", "application/javascript"}


@lru_cache(maxsize=32)
def _zopfli(path: str, mtime: float) -> bytes:
    """gzip made with zopfli (about 3 % smaller than gzip -9 for htmx), done once; CSS is
    minified first (its comments are for us, not for the phone)."""
    data = Path(path).read_bytes()
    if path.endswith(".css"):
        data = rcssmin.cssmin(data)
    return zopfli.gzip.compress(data)


def static_file(filename: str):
    """Flask's static view, with CSS and JavaScript sent zopfli-gzipped to browsers that
    take gzip (every phone browser does). Paths, 404s and 304s stay Flask's."""
    # Flask answers 304 itself only for its own ETag; ours carries "-gzip", checked below.
    response = current_app.send_static_file(filename)
    if (
        response.status_code != 200
        or response.mimetype not in PRECOMPRESSED
        or "gzip" not in request.accept_encodings
    ):
        return response
    path = Path(safe_join(current_app.static_folder, filename))
    response.direct_passthrough = False
    response.set_data(_zopfli(str(path), path.stat().st_mtime))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, _weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-gzip")
    return response.make_conditional(request.environ)


def init_app(app) -> None:
    app.config.setdefault(
        "COMPRESS_MIMETYPES", ["text/css", "text/javascript", "application/javascript"]
    )
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_BR_LEVEL", 6)  # level 4 made htmx larger than gzip
    # Static files are streamed; phones on plain-HTTP intranets only offer gzip.
    app.config.setdefault("COMPRESS_ALGORITHM_STREAMING", ["br", "gzip"])
    compress.init_app(app)
    app.view_functions["static"] = static_file
    app.jinja_env.globals["static_url"] = static_url
