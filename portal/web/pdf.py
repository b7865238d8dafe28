"""PDF documents with WeasyPrint: A4/A5 pages, the CJK font from Debian's fonts-noto-cjk
embedded, and a URL fetcher that reads only the portal's own static files.

Case text may contain anything a user typed, including `<img src="http://169.254.169.254/">`
or `file:///etc/passwd`. Templates escape it, and even so the fetcher refuses every URL that
is not a file under `portal/static` or an inline `data:` URI: no network, no other files,
no redirects (SECURITY.md "WeasyPrint"; CVE-2025-68616).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from flask import current_app, make_response, render_template
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


class StaticOnlyFetcher(URLFetcher):
    def __init__(self, root: Path):
        super().__init__(allowed_protocols={"data", "file"}, allow_redirects=False)
        self.root = root.resolve()

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        if parts.scheme == "data":
            return super().fetch(url, headers)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused: {url[:80]}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ValueError(f"refused: {url[:80]}")
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mimetype})


def render_pdf(template: str, **context) -> bytes:
    html = render_template(template, **context)
    root = Path(current_app.static_folder)
    document = HTML(
        string=html, base_url=root.resolve().as_uri() + "/", url_fetcher=StaticOnlyFetcher(root)
    )
    return document.write_pdf()


def pdf_response(data: bytes, filename: str, *, download: bool = False):
    response = make_response(data)
    response.mimetype = "application/pdf"
    disposition = "attachment" if download else "inline"
    response.headers["Content-Disposition"] = (
        f"{disposition}; filename=\"document.pdf\"; filename*=UTF-8''{quote(filename)}"
    )
    return response
