"""Files attached to cases: where they live and how they are sent (SECURITY.md, Uploads)."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, send_file

from portal.domain.models import Case


def upload_root() -> Path:
    """Outside `static/`, under the instance folder: never served by the static view."""
    return Path(current_app.instance_path) / "uploads"


def send_attachment(case: Case, attachment_id: int, *, staff: bool = False):
    """Serve a file of `case`: always as a download, with its checked type, never rendered
    inline (an uploaded file is never run as a page). The enterprise gets only the files
    it may see; staff who may see the case get them all."""
    found = next(
        (
            a
            for a in case.attachments
            if a.id == attachment_id and (staff or a.visible_to_enterprise)
        ),
        None,
    )
    if found is None:
        abort(404)
    path = upload_root() / found.stored_name
    if not path.is_file():
        abort(404)
    response = send_file(
        path,
        mimetype=found.content_type,
        as_attachment=True,
        download_name=found.filename,
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
