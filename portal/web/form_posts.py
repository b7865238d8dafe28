"""Forms posted to an address that only takes POST (a rating, a step, "add to this case")
never leave that address where a reload or a shared link would answer 405 (issue 17 item 4:
"a refused form never leaves a POST-only address in the address bar").

- With htmx (a boosted form), a form shown again with its errors would have its POST
  address pushed into the address bar; the answer says `HX-Push-Url: false`, so the bar
  keeps the page the form is on.
- Without JavaScript the browser shows the POST address; opening it again by GET (a shared
  link, a bookmark, a reload after the browser dropped the post) leads to the page it
  belongs to, the address one level up, when that page exists (303).
"""

from __future__ import annotations

from flask import current_app, redirect, request
from werkzeug.exceptions import MethodNotAllowed


def _takes_get(path: str) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except Exception:  # noqa: BLE001 - not found, not allowed, a redirect: no page there
        return False
    return True


def page_of(path: str) -> str | None:
    """The page a POST-only address belongs to: its parent path, when that takes GET."""
    parent = path.rstrip("/").rsplit("/", 1)[0]
    if not parent:
        return None
    for candidate in (parent, parent + "/"):
        if _takes_get(candidate):
            return candidate
    return None


def init_app(app) -> None:
    @app.before_request
    def _page_instead_of_405():
        if request.method in ("GET", "HEAD") and isinstance(
            request.routing_exception, MethodNotAllowed
        ):
            page = page_of(request.path)
            if page is not None:
                return redirect(page, 303)
        return None

    @app.after_request
    def _keep_the_page_address(response):
        if (
            request.method == "POST"
            and request.headers.get("HX-Request")
            and 200 <= response.status_code < 300
            and "HX-Push-Url" not in response.headers
            and "HX-Redirect" not in response.headers
            and not _takes_get(request.path)
        ):
            response.headers["HX-Push-Url"] = "false"
        return response
