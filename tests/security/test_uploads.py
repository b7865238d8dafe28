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
import time
import zipfile

import pytest
import sqlalchemy as sa
from bs4 import BeautifulSoup
from PIL import Image

from portal.domain import uploads
from portal.domain.errors import RuleViolation
from portal.domain.models import Attachment, Case
from portal.extensions import db as _db
from tests.conftest import csrf_from
from tests.security.scene import build_scene
from tests.security.test_csrf_headers import SANDBOX, sign_out


def _whistle(client, files, **overrides):
    data = _fields(client.get("/whistle").text, **overrides)
    data["attachments"] = [(io.BytesIO(body), name) for body, name in files]
    return client.post("/whistle", data=data, content_type="multipart/form-data")


def _fields(page: str, **overrides) -> dict:
    """The whistle form of `page` (its CSRF token and submission key), filled."""
    soup = BeautifulSoup(page, "html.parser")
    return {
        "csrf_token": csrf_from(page),
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


# ------------------------------------------------------------------ issue 18 item 3


def _png(size: tuple[int, int], mode: str = "RGB") -> bytes:
    """A picture of `size`: a gradient (compresses like a flat screenshot), or all zeros
    for mode "1" (a few KB however large: a decode bomb)."""
    out = io.BytesIO()
    if mode == "1":
        Image.new("1", size).save(out, "PNG", optimize=True)
    else:
        ramp = Image.linear_gradient("L").resize(size)
        Image.merge("RGB", (ramp, ramp.transpose(Image.Transpose.ROTATE_90), ramp)).save(
            out, "PNG", compress_level=1
        )
    return out.getvalue()


def test_c25_a_decode_bomb_of_a_few_kb_is_refused_before_decoding(monkeypatch):
    """Under the pixel cap, but 8,000 pixels a byte: refused from its header, in well under
    a second, and nothing decodes it (neither in the worker nor in a child)."""
    bomb = _png((4898, 4898), "1")
    assert len(bomb) < 8 * 1024 and 4898 * 4898 < uploads.MAX_PIXELS

    def never(*_args, **_kwargs):
        raise AssertionError("decoded")

    monkeypatch.setattr(uploads, "decode_in_child", never)
    monkeypatch.setattr(uploads.picture_child, "reencode", never)
    started = time.perf_counter()
    with pytest.raises(RuleViolation):
        uploads.check_file("bomb.png", bomb)
    assert time.perf_counter() - started < 0.2


def test_c25_large_pictures_decode_in_a_child_under_a_memory_cap():
    """A 9-megapixel picture is re-encoded in a child process: with the real cap it comes
    back whole (and the child's peak memory is recorded); under a cap too small for it the
    child fails, and the picture is refused, not the worker."""
    picture = _png((3000, 3000))
    outcome, clean = uploads.decode_in_child(picture, "PNG")
    assert outcome == "ok"
    with Image.open(io.BytesIO(clean)) as image:
        assert image.size == (3000, 3000)
    assert 0 < uploads.last_peaks[-1] * 1024 < uploads.DECODE_MEMORY
    assert uploads.decode_in_child(picture, "PNG", memory=80 * 1024 * 1024) == ("memory", b"")
    assert uploads.check_file("big.png", picture).content_type == "image/png"


def test_c25_a_decode_that_takes_too_long_is_stopped():
    started = time.perf_counter()
    assert uploads.decode_in_child(_png((3000, 3000)), "PNG", seconds=0.05) == ("slow", b"")
    assert time.perf_counter() - started < 2


def test_c25_small_pictures_are_checked_in_the_worker(monkeypatch):
    """Up to IN_PROCESS_PIXELS a picture costs little whatever it holds: no child."""
    monkeypatch.setattr(uploads, "decode_in_child", lambda *a, **k: ("unreadable", b""))
    out = io.BytesIO()
    Image.new("RGB", (1200, 900), "blue").save(out, "JPEG")
    assert uploads.check_file("photo.jpg", out.getvalue()).content_type == "image/jpeg"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), "green").save(out, "JPEG")
    return out.getvalue()


def test_c25_the_upload_budget_is_the_enterprises_not_each_users(app, client, db, world, login_as):
    """Three files an hour for the enterprise: its user sends two, a colleague's account
    two more and is refused beside the field, with what was typed kept; no case is made."""
    from portal.domain.models import Role
    from tests import factories
    from tests.security.test_faults import _signed_in

    app.config.update(UPLOAD_BUDGET_ENTERPRISE="3 per hour", UPLOAD_BUDGET_ADDRESS="100 per hour")
    colleague = factories.user(
        db.session, Role.ENTERPRISE, enterprise=world.enterprise, username="colleague"
    )
    db.session.commit()
    login_as("enterprise")
    assert _whistle(client, [(_jpeg(), "a.jpg"), (_jpeg(), "b.jpg")]).status_code == 303
    other = _signed_in(app, colleague)
    refused = _whistle(
        other, [(_jpeg(), "c.jpg"), (_jpeg(), "d.jpg")], title="同事再传", confirm_new="1"
    )
    assert "文件过多" in _refused_after(refused, cases=1)
    assert BeautifulSoup(refused.text, "html.parser").select_one("#title")["value"] == "同事再传"
    # Without files the form still goes through.
    assert _whistle(other, [], title="不带附件", confirm_new="1").status_code == 303


def test_c25_the_upload_budget_counts_per_address_too(app, client, db, world, login_as):
    """Another enterprise from the same address shares the address's budget."""
    from portal.domain.models import Role
    from tests import factories
    from tests.security.test_faults import _signed_in

    app.config.update(UPLOAD_BUDGET_ENTERPRISE="100 per hour", UPLOAD_BUDGET_ADDRESS="3 per hour")
    neighbour = factories.enterprise(db.session, world.city, name="邻家食品厂")
    stranger = factories.user(db.session, Role.ENTERPRISE, enterprise=neighbour, username="nb")
    db.session.commit()
    login_as("enterprise")
    assert _whistle(client, [(_jpeg(), "a.jpg"), (_jpeg(), "b.jpg")]).status_code == 303
    refused = _whistle(
        _signed_in(app, stranger), [(_jpeg(), "c.jpg"), (_jpeg(), "d.jpg")], confirm_new="1"
    )
    assert "文件过多" in _refused_after(refused, cases=1)


def _refused_after(response, cases: int) -> str:
    assert response.status_code == 200
    error = BeautifulSoup(response.text, "html.parser").select_one("#attachments-error")
    assert error is not None
    assert _cases() == cases
    return error.text


@pytest.mark.slow
@pytest.mark.parametrize("side", [4900, 4898], ids=["over-the-cap", "decoded"])
def test_c25_five_large_pngs_do_not_stall_the_server(app, db, world, side):
    """Five 4,900 x 4,900 PNGs in one whistle (just over MAX_PIXELS: refused from their
    headers), and five of 4,898 x 4,898 (just under: each decoded and re-encoded in a
    child process), sent to a real threaded server while a second client reads /healthz:
    its median answer stays under 200 ms."""
    import statistics
    import threading

    import requests
    from werkzeug.serving import make_server

    from tests import factories

    picture = _png((side, side))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.port}"
    try:
        person = requests.Session()
        token = csrf_from(person.get(f"{base}/auth/login").text)
        signed = person.post(
            f"{base}/auth/login",
            data={
                "login": world.users["enterprise"].mobile,
                "password": factories.PASSWORD,
                "csrf_token": token,
            },
            allow_redirects=False,
        )
        assert signed.status_code == 303
        data = _fields(
            person.get(f"{base}/whistle").text,
            title="厂房照片",
            content="五张厂房全景照片，请查看。",
            confirm_new="1",
        )
        files = [("attachments", (f"{n}.png", picture, "image/png")) for n in range(5)]
        answer = {}

        def upload():
            started = time.perf_counter()
            response = person.post(
                f"{base}/whistle", data=data, files=files, allow_redirects=False, timeout=300
            )
            answer.update(status=response.status_code, text=response.text)
            answer["seconds"] = time.perf_counter() - started

        sender = threading.Thread(target=upload)
        sender.start()
        probe, latencies = requests.Session(), []
        while sender.is_alive():
            started = time.perf_counter()
            assert probe.get(f"{base}/healthz", timeout=30).status_code == 200
            latencies.append(time.perf_counter() - started)
            time.sleep(0.05)
        sender.join()
    finally:
        server.shutdown()
    if side == 4900:
        error = BeautifulSoup(answer["text"], "html.parser").select_one("#attachments-error")
        assert answer["status"] == 200 and "过大" in error.text
        assert _cases() == 0
    else:
        assert answer["status"] == 303, answer["text"][:500]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Attachment)) == 5
    assert latencies
    median = statistics.median(latencies)
    print(
        f"\n{side}x{side}: upload {answer['seconds']:.1f} s, {len(latencies)} probes, "
        f"/healthz median {median * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
    )
    assert median < 0.2, latencies
