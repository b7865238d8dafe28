"""Uploads (SECURITY.md checklist 25 and "Uploads"): too large, not what the name says,
scripted, bombs and polyglots are refused or made inert; files go only to those who may
see the case, always as a download under a sandbox policy.

| check | tests (skips and why) |
|-------|-----------------------|
| 25 uploads | test_c25_a_request_above_max_content_length_gets_413, test_c25_a_file_above_the_per_file_limit_is_refused, test_c25_files_that_are_not_what_they_claim_are_refused (renamed .exe as .pdf/.jpg, SVG with script as .svg/.png/.jpg, zip, docx, xlsx), test_c25_a_zip_bomb_is_refused_unopened, test_c25_a_picture_bomb_is_refused, test_c25_a_polyglot_picture_loses_its_payload, test_c25_a_pdf_polyglot_is_only_ever_a_download, test_c25_downloads_only_for_those_who_may_see_the_case; also tests/test_enterprise.py test_attachments_are_checked_by_content_and_stripped, test_files_that_are_not_what_they_claim_are_refused, test_another_enterprises_file_is_not_found, test_attachments_are_served_under_a_sandbox_policy |

Zip archives (and .docx/.xlsx, which are zips) are not accepted at all: only JPEG, PNG and
PDF by their content (portal/domain/uploads.py), so a zip bomb is never opened.
"""

from __future__ import annotations

import io
import zipfile

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from PIL import Image

from portal.domain import uploads
from portal.domain.models import Attachment, Case
from portal.extensions import db as _db
from tests.conftest import csrf_from
from tests.security.scene import build_scene
from tests.security.test_csrf_headers import SANDBOX, sign_out


def _whistle(client, files, **overrides):
    page = client.get("/whistle")
    soup = BeautifulSoup(page.text, "html.parser")
    data = {
        "csrf_token": csrf_from(page.text),
        "submission_key": soup.select_one("#submission_key")["value"],
        "level": "local",
        "case_type": "business",
        "category": "4",
        "title": "春节后缺工30人",
        "content": "春节后一线工人缺口约30人，已在网上发布招聘，仍招不到人。",
        "contact_name": "王经理",
        "contact_phone": "13800000001",
        **overrides,
    }
    data["attachments"] = [(io.BytesIO(body), name) for body, name in files]
    return client.post("/whistle", data=data, content_type="multipart/form-data")


def _cases() -> int:
    return _db.session.scalar(sa.select(sa.func.count()).select_from(Case))


def _refused(response) -> str:
    assert response.status_code == 200
    error = BeautifulSoup(response.text, "html.parser").select_one("#attachments-error")
    assert error is not None
    assert _cases() == 0
    return error.text


def test_c25_a_request_above_max_content_length_gets_413(app, client, world, login_as):
    login_as("enterprise")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit == 51 * 1024 * 1024
    body = (
        b'--x\r\nContent-Disposition: form-data; name="title"\r\n\r\n'
        + b"a" * (limit + 1)
        + b"\r\n--x--\r\n"
    )
    response = client.post("/whistle", data=body, content_type="multipart/form-data; boundary=x")
    assert response.status_code == 413
    page = BeautifulSoup(response.text, "html.parser")
    assert page.h1.text == "文件过大" and "<html" in response.text
    assert _cases() == 0


def test_c25_a_file_above_the_per_file_limit_is_refused(client, world, login_as):
    login_as("enterprise")
    big = b"%PDF-1.4\n" + b"0" * uploads.MAX_BYTES
    assert "10" in _refused(_whistle(client, [(big, "证明.pdf")]))


SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _zip(name: str, size: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b"\0" * size)
    return out.getvalue()


@pytest.mark.parametrize(
    "payload,name",
    [
        (
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64 + b"This program cannot be run in DOS mode",
            "报告.pdf",
        ),
        (b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64, "现场.jpg"),
        (SVG, "logo.svg"),
        (SVG, "logo.png"),
        (b"<?xml version='1.0'?>" + SVG, "logo.jpg"),
        (_zip("a.txt", 1000), "资料.zip"),
        (_zip("word/document.xml", 1000), "说明.docx"),
        (_zip("xl/workbook.xml", 1000), "名单.xlsx"),
        (b"<html><script>alert(1)</script></html>", "page.pdf"),
    ],
    ids=[
        "exe-as-pdf",
        "exe-as-jpg",
        "svg",
        "svg-as-png",
        "svg-as-jpg",
        "zip",
        "docx",
        "xlsx",
        "html-as-pdf",
    ],
)
def test_c25_files_that_are_not_what_they_claim_are_refused(client, world, login_as, payload, name):
    login_as("enterprise")
    assert "PDF" in _refused(_whistle(client, [(payload, name)]))


def test_c25_a_zip_bomb_is_refused_unopened(client, world, login_as):
    """100 MB of zeros in a zip of about 100 KB: refused by its first bytes, never
    expanded (no zip type is accepted), and the stored bytes stay what was sent."""
    bomb = _zip("zeros.bin", 100 * 1024 * 1024)
    assert len(bomb) < 200 * 1024
    login_as("enterprise")
    _refused(_whistle(client, [(bomb, "bomb.zip")]))
    _refused(_whistle(client, [(bomb, "bomb.pdf")]))


def test_c25_a_picture_bomb_is_refused(client, world, login_as):
    """A PNG that is small on the wire and huge once decoded (30000 x 30000 pixels): its
    size is read from the header and refused before any pixel is decoded."""
    out = io.BytesIO()
    Image.new("1", (30000, 30000)).save(out, "PNG", optimize=True)
    bomb = out.getvalue()
    assert len(bomb) < 1024 * 1024
    login_as("enterprise")
    message = _refused(_whistle(client, [(bomb, "big.png")]))
    assert "太大" in message or "无法读取" in message  # Pillow's DecompressionBombError


def test_c25_a_polyglot_picture_loses_its_payload(app, client, db, world, login_as):
    """A real JPEG with an HTML page and a zip appended: accepted as the picture it is,
    re-encoded, and nothing after the picture survives."""
    out = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(out, "JPEG")
    polyglot = out.getvalue() + b"<html><script>alert(1)</script></html>" + _zip("x", 10)
    login_as("enterprise")
    assert _whistle(client, [(polyglot, "现场.jpg")]).status_code == 303
    stored = db.session.scalar(sa.select(Attachment))
    data = (uploads.Path(app.instance_path) / "uploads" / stored.stored_name).read_bytes()
    assert data.startswith(b"\xff\xd8\xff")
    assert b"<script>" not in data and b"PK\x03\x04" not in data


def test_c25_a_pdf_polyglot_is_only_ever_a_download(app, client, db, world, login_as):
    """A "PDF" that is also an HTML page: PDFs are kept as sent, so it is stored, but is
    served only as an attachment, as application/pdf, nosniff, under a sandbox CSP: a
    browser never runs it as a page of the portal."""
    polyglot = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>"
    login_as("enterprise")
    assert _whistle(client, [(polyglot, "x.html")]).status_code == 303
    case, stored = db.session.scalar(sa.select(Case)), db.session.scalar(sa.select(Attachment))
    assert stored.filename == "x.pdf" and stored.content_type == "application/pdf"
    response = client.get(f"/cases/{case.number}/files/{stored.id}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.mimetype == "application/pdf"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].strip() == SANDBOX


def test_c25_downloads_only_for_those_who_may_see_the_case(app, client, db, world, login_as):
    """The scene's own file to its enterprise and the staff of its case; another city's
    file to no one of this world; the county's staff (another unit) get 404 for the
    city's file; no refused answer holds the file's bytes."""
    scene = build_scene(db.session, world, app.instance_path)
    db.session.commit()
    own, other = scene.own, scene.other
    allowed = {
        "enterprise": f"/cases/{own['number']}/files/{own['attachment_id']}",
        "office": f"/office/cases/{own['number']}/files/{own['attachment_id']}",
        "handler": f"/workbench/cases/{own['number']}/files/{own['attachment_id']}",
    }
    refused = {
        "enterprise": [
            f"/cases/{other['number']}/files/{other['attachment_id']}",
            f"/cases/{own['number']}/files/{other['attachment_id']}",
        ],
        "office": [f"/office/cases/{other['number']}/files/{other['attachment_id']}"],
        "handler": [
            f"/workbench/cases/{other['number']}/files/{other['attachment_id']}",
            f"/workbench/cases/{own['number']}/files/{other['attachment_id']}",
        ],
    }
    for role, path in allowed.items():
        login_as(role)
        response = client.get(path)
        assert response.status_code == 200, (role, path)
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.headers["Content-Security-Policy"].strip() == SANDBOX
        assert response.data == b"%PDF-1.4 own"
        for path in refused[role]:
            denied = client.get(path)
            assert denied.status_code == 404, (role, path)
            assert b"far-secret" not in denied.data
        sign_out(client)
    # Staff of another unit: the county's handler, not on the city's case.
    login_as_user(client, world.county_handler)
    denied = client.get(allowed["handler"])
    assert denied.status_code == 404 and b"%PDF-1.4 own" not in denied.data


def login_as_user(client, user):
    from tests import factories

    token = csrf_from(client.get("/auth/login").text)
    response = client.post(
        "/auth/login",
        data={"login": user.username, "password": factories.PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 303
