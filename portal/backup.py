"""Backups and restores that can be checked (SECURITY.md "What nothing lost means" 6,
checklist 37; issue 9 item 8).

- SQLite: `sqlite3.Connection.backup`, the online backup API, never a copy of a live file.
- PostgreSQL: `pg_dump -Fc` by the client of the server's own major version.

Each backup writes the dump and a manifest beside it (`<dump>.manifest.json`): the SHA-256
of the dump file, and per table its row count and a checksum of its content (rows in
primary-key order), so that a restore can be checked table by table.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

MANIFEST_SUFFIX = ".manifest.json"


class BackupError(RuntimeError):
    """A backup or a restore could not be made, or does not match its manifest."""


def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> str:
    path = make_url(url).database
    if not path or path == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return path


def libpq_url(url: str) -> str:
    """The SQLAlchemy URL as libpq (pg_dump, pg_restore) reads it: no `+psycopg`."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_tool(name: str, url: str) -> str:
    """The PostgreSQL client `name` of the server's major version (pg_dump refuses a newer
    server), from /usr/lib/postgresql/<major>/bin, else the one on PATH."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            major = int(conn.scalar(sa.text("SHOW server_version_num"))) // 10000
    finally:
        engine.dispose()
    for candidate in sorted(glob.glob(f"/usr/lib/postgresql/{major}/bin/{name}")):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} for PostgreSQL {major} not found")
    return found


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def table_summary(url: str) -> dict[str, dict]:
    """Per table: its row count and a SHA-256 over its rows in primary-key order (all
    columns' values, as the database returns them, in column order)."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return _summarise(conn)
    finally:
        engine.dispose()


def _summarise(conn) -> dict[str, dict]:
    metadata = sa.MetaData()
    metadata.reflect(conn)
    summary = {}
    for table in sorted(metadata.tables.values(), key=lambda t: t.name):
        order = list(table.primary_key.columns) or list(table.columns)
        digest, rows = hashlib.sha256(), 0
        for row in conn.execute(sa.select(table).order_by(*order)):
            digest.update(
                json.dumps([_plain(v) for v in row], default=str, ensure_ascii=False).encode()
            )
            digest.update(b"\n")
            rows += 1
        summary[table.name] = {"rows": rows, "checksum": digest.hexdigest()}
    return summary


def _plain(value):
    if isinstance(value, (bytes, memoryview)):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None).isoformat()
    return value


def backup(url: str, to_dir: Path, *, now: datetime) -> Path:
    """Back the database at `url` up into `to_dir`; return the dump's path (its manifest
    lies beside it)."""
    to_dir.mkdir(parents=True, exist_ok=True)
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    if _is_sqlite(url):
        target = to_dir / f"portal-{stamp}.sqlite3"
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
        finally:
            copy.close()
            source.close()
        summary, kind = table_summary(f"sqlite:///{target}"), "sqlite"
        copy = sqlite3.connect(target)
        try:  # the portal's connections turned WAL on: back to one self-contained file
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            copy.close()
    else:
        target = to_dir / f"portal-{stamp}.dump"
        summary = _pg_dump(url, target)
        kind = "postgresql"
    manifest = {
        "format": kind,
        "file": target.name,
        "sha256": sha256_file(target),
        "bytes": target.stat().st_size,
        "created_at": now.isoformat(),
        "tables": summary,
    }
    Path(str(target) + MANIFEST_SUFFIX).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    )
    os.chmod(target, 0o600)
    return target


def _pg_dump(url: str, target: Path) -> dict[str, dict]:
    """pg_dump -Fc from a snapshot that the manifest's summary is read in too, so counts
    and checksums describe exactly what the dump holds, whatever is written meanwhile."""
    tool = pg_tool("pg_dump", url)
    engine = sa.create_engine(url, isolation_level="REPEATABLE READ")
    try:
        with engine.connect() as conn:
            snapshot = conn.scalar(sa.text("SELECT pg_export_snapshot()"))
            run = subprocess.run(
                [
                    tool,
                    "-Fc",
                    "--no-owner",
                    "--no-privileges",
                    f"--snapshot={snapshot}",
                    "-f",
                    str(target),
                    "--dbname",
                    libpq_url(url),
                ],
                capture_output=True,
                text=True,
            )
            if run.returncode != 0:
                raise BackupError(f"pg_dump failed: {run.stderr.strip()}")
            summary = _summarise(conn)
            conn.rollback()
    finally:
        engine.dispose()
    return summary


def read_manifest(dump: Path) -> dict:
    path = Path(str(dump) + MANIFEST_SUFFIX)
    if not path.exists():
        raise BackupError(f"no manifest beside {dump}")
    return json.loads(path.read_text())


def restore(dump: Path, into_url: str) -> dict[str, dict]:
    """Restore `dump` into the empty database `into_url` (a new SQLite file, or a created,
    empty PostgreSQL database), then check it against the manifest: the dump's SHA-256
    first, then every table's count and checksum. Returns the restored table summary;
    raises BackupError on any difference."""
    manifest = read_manifest(dump)
    if sha256_file(dump) != manifest["sha256"]:
        raise BackupError(f"{dump.name}: SHA-256 differs from the manifest")
    if manifest["format"] == "sqlite":
        if not _is_sqlite(into_url):
            raise BackupError("a SQLite backup restores into a sqlite:/// URL")
        target = Path(_sqlite_path(into_url))
        if target.exists() and target.stat().st_size:
            raise BackupError(f"{target} exists; restore into a new file")
        source, copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True), sqlite3.connect(target)
        try:
            with copy:
                source.backup(copy)
            copy.execute("PRAGMA journal_mode=WAL")  # as the portal runs it
        finally:
            copy.close()
            source.close()
    else:
        if _is_sqlite(into_url):
            raise BackupError("a PostgreSQL dump restores into a postgresql:// URL")
        run = subprocess.run(
            [
                pg_tool("pg_restore", into_url),
                "--no-owner",
                "--no-privileges",
                "--exit-on-error",
                "--single-transaction",
                "--dbname",
                libpq_url(into_url),
                str(dump),
            ],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            raise BackupError(f"pg_restore failed: {run.stderr.strip()}")
    restored = table_summary(into_url)
    differ = sorted(
        name
        for name in set(manifest["tables"]) | set(restored)
        if manifest["tables"].get(name) != restored.get(name)
    )
    if differ:
        raise BackupError("restored tables differ from the manifest: " + ", ".join(differ))
    return restored
