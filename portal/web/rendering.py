"""One URL, two sizes: the full page, or for an htmx request only the block that changes
(STYLE.md, Screens and fragments). Views call `render_screen` and never read htmx headers."""

from __future__ import annotations

from flask import make_response, render_template, request
from jinja2_fragments.flask import render_block


def wants_fragment() -> bool:
    """True for htmx requests that swap part of a page; boosted navigation gets the page."""
    return bool(request.htmx) and not request.htmx.boosted


def render_screen(template: str, block: str = "content", status: int = 200, **context):
    """Render `template` whole, or only its `block` for an htmx swap. The "content" block
    comes with the page's messages (flashes and the error summary), as in the full page."""
    if wants_fragment():
        html = render_block(template, block, **context)
        if block == "content":
            html = render_template("_messages.html", **context) + html
    else:
        html = render_template(template, **context)
    response = make_response(html, status)
    response.vary.add("HX-Request")  # caches must not mix page and fragment
    return response
