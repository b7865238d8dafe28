"""E-mail intake (issue 10 item 2): `flask --app wsgi intake mail` against a local IMAP
server: each unread message becomes a case with channel "email", its attachments kept and
its sender told the number; one that cannot be taken waits on the office's review list;
nothing is read twice into two cases, and every message is marked read only once stored."""

from __future__ import annotations

import re
import socketserver
import threading
from email.message import EmailMessage

import pytest
import sqlalchemy as sa

from portal.domain.models import (
    Attachment,
    Case,
    Channel,
    IntakeMessage,
    Notification,
)
from tests.conftest import csrf_from


class FakeImap:
    """An IMAP4rev1 server of the few commands imaplib sends here, on a free local port:
    CAPABILITY, LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH … (BODY.PEEK[]), UID STORE
    … +FLAGS (\\Seen), LOGOUT. `messages` maps uid → [bytes, seen]."""

    def __init__(self, user="office@portal.test", password="secret"):
        self.messages: dict[int, list] = {}
        self.logins: list[tuple[str, str]] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def send(self, text: str | bytes):
                self.wfile.write(text if isinstance(text, bytes) else text.encode())

            def handle(self):
                self.send("* OK fake IMAP ready\r\n")
                for line in self.rfile:
                    tag, _, rest = line.decode().strip().partition(" ")
                    command = rest.upper()
                    if command.startswith("CAPABILITY"):
                        self.send(f"* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n")
                    elif command.startswith("LOGIN"):
                        _login, name, secret = rest.split(" ", 2)
                        outer.logins.append((name.strip('"'), secret.strip('"')))
                        ok = (name.strip('"'), secret.strip('"')) == (user, password)
                        self.send(f"{tag} {'OK' if ok else 'NO'} login\r\n")
                    elif command.startswith("SELECT"):
                        self.send(f"* {len(outer.messages)} EXISTS\r\n{tag} OK [READ-WRITE]\r\n")
                    elif command.startswith("UID SEARCH"):
                        unseen = " ".join(
                            str(u) for u, (_raw, seen) in outer.messages.items() if not seen
                        )
                        self.send(f"* SEARCH {unseen}\r\n{tag} OK search\r\n")
                    elif command.startswith("UID FETCH"):
                        uid = int(rest.split()[2])
                        raw = outer.messages[uid][0]
                        self.send(f"* {uid} FETCH (UID {uid} BODY[] {{{len(raw)}}}\r\n")
                        self.send(raw + b")\r\n")
                        self.send(f"{tag} OK fetch\r\n")
                    elif command.startswith("UID STORE"):
                        uid = int(rest.split()[2])
                        outer.messages[uid][1] = True
                        self.send(
                            f"* {uid} FETCH (UID {uid} FLAGS (\\Seen))\r\n{tag} OK stored\r\n"
                        )
                    elif command.startswith("LOGOUT"):
                        self.send(f"* BYE\r\n{tag} OK bye\r\n")
                        return
                    else:
                        self.send(f"{tag} BAD unknown\r\n")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deliver(self, message: EmailMessage) -> int:
        uid = len(self.messages) + 1
        self.messages[uid] = [bytes(message), False]
        return uid

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def whistle_mail(n: int = 1) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "林老板 <lin@ceramics.example>"
    mail["To"] = "office@portal.test"
    mail["Subject"] = "厂区用电增容报装进度慢"
    mail["Message-ID"] = f"<whistle-{n}@ceramics.example>"
    mail.set_content(
        "我厂申请用电增容已两个月，至今未装表，影响新生产线投产。联系电话 13812345678。"
    )
    mail.add_attachment(
        b"%PDF-1.4 application form", maintype="application", subtype="pdf", filename="申请表.pdf"
    )
    mail.add_attachment(
        b"MZ\x90\x00 not a document",
        maintype="application",
        subtype="octet-stream",
        filename="setup.exe",
    )
    return mail


def empty_mail() -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = "someone@example.com"
    mail["Message-ID"] = "<empty-1@example.com>"
    mail.set_content("")
    return mail


@pytest.fixture
def imap(app, world):
    server = FakeImap()
    app.config.update(
        INTAKE_IMAP_HOST="127.0.0.1",
        INTAKE_IMAP_PORT=server.port,
        INTAKE_IMAP_SSL=False,
        INTAKE_IMAP_USER="office@portal.test",
        INTAKE_IMAP_PASSWORD="secret",
        INTAKE_JURISDICTION="445100",
    )
    yield server
    server.close()


def test_each_mail_becomes_a_case_and_its_sender_is_told(runner, db, world, imap):
    imap.deliver(whistle_mail())
    result = runner.invoke(args=["intake", "mail"])
    assert result.exit_code == 0, result.output
    assert "1 registered, 0 for review" in result.output
    case = db.session.scalar(sa.select(Case))
    assert (case.channel, case.title, case.contact_phone, case.jurisdiction_id) == (
        Channel.EMAIL,
        "厂区用电增容报装进度慢",
        "13812345678",
        world.city.id,
    )
    assert case.contact_name == "林老板" and "未装表" in case.content
    files = db.session.scalars(sa.select(Attachment.filename)).all()
    assert files == ["申请表.pdf"]  # the .exe is not kept, and the row says so
    row = db.session.scalar(sa.select(IntakeMessage))
    assert row.status == "registered" and "setup.exe" in row.problem
    told = db.session.scalar(sa.select(Notification).where(Notification.channel == "email"))
    assert (told.address, told.template, told.params["number"]) == (
        "lin@ceramics.example",
        "intake_received",
        case.number,
    )
    assert imap.messages[1][1] is True  # marked read after it was stored


def test_a_mail_read_twice_is_one_case(runner, db, world, imap):
    imap.deliver(whistle_mail())
    runner.invoke(args=["intake", "mail"])
    imap.deliver(whistle_mail())  # the same Message-ID, unread again (a restored mailbox)
    result = runner.invoke(args=["intake", "mail"])
    assert "0 registered, 0 for review" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == 1
    assert all(seen for _raw, seen in imap.messages.values())


def test_a_mail_that_cannot_be_a_case_waits_for_review(runner, client, db, world, login_as, imap):
    imap.deliver(empty_mail())
    imap.deliver(whistle_mail(2))
    result = runner.invoke(args=["intake", "mail"])
    assert "1 registered, 1 for review" in result.output
    waiting = db.session.scalar(sa.select(IntakeMessage).where(IntakeMessage.status == "review"))
    assert waiting.problem == "no subject and no text" and waiting.raw  # kept whole
    login_as("office")
    page = client.get("/office/intake")
    assert page.status_code == 200
    assert "someone@example.com" in page.text and "no subject and no text" in page.text
    client.post("/auth/logout", data={"csrf_token": csrf_from(page.text)})
    login_as("handler")
    assert client.get("/office/intake").status_code == 403


def test_a_wrong_mailbox_password_stops_with_an_error(runner, app, db, world, imap):
    app.config["INTAKE_IMAP_PASSWORD"] = "wrong"
    imap.deliver(whistle_mail())
    result = runner.invoke(args=["intake", "mail"])
    assert result.exit_code != 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IntakeMessage)) == 0
    assert imap.messages[1][1] is False  # still unread, for the next run


def test_without_a_mailbox_the_command_says_what_is_missing(runner, app, world):
    app.config["INTAKE_IMAP_HOST"] = ""
    result = runner.invoke(args=["intake", "mail"])
    assert result.exit_code != 0 and re.search("INTAKE_IMAP_HOST", result.output)
