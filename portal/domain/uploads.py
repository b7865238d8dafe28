"""Attachments: checked by content, not by name; images re-encoded without their EXIF data;
stored under a random name outside `static/` (SECURITY.md, Uploads).

Chaozhou's registration keeps what the enterprise hands in; the whistle form takes up to 5
files of JPEG, PNG or PDF, at most 10 MB each.
"""

from __future__ import annotations

import collections
import hashlib
import io
import math
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from portal.domain import picture_child
from portal.domain.errors import N_, RuleViolation

MAX_FILES = 5
MAX_BYTES = 10 * 1024 * 1024
# Signatures of the three accepted kinds: (content type, extension, leading bytes).
KINDS = (
    ("image/jpeg", "jpg", b"\xff\xd8\xff"),
    ("image/png", "png", b"\x89PNG\r\n\x1a\n"),
    ("application/pdf", "pdf", b"%PDF-"),
)
MAX_PIXELS = 24_000_000  # a 24-megapixel phone photo; checked before anything is decoded
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# A decode bomb: more pixels per byte sent than any photo or scan has (a 24-megapixel
# picture must weigh at least 24 KB); pictures under a megapixel are cheap whatever they are.
MAX_EXPANSION = 1000
BOMB_FLOOR_PIXELS = 1_000_000
# The child process that decodes one picture (picture_child.py): its address space and its
# time. Measured: a 24-megapixel RGB PNG peaks at 368 MB resident in the child and takes
# 2.7 s (this 2-core machine, under load); with 150 MB it is refused ("memory") in 1.5 s.
# The child's own start costs about 0.3 s, so pictures up to IN_PROCESS_PIXELS are
# re-encoded in the worker, where they cost little whatever they hold.
DECODE_MEMORY = 1024 * 1024 * 1024
DECODE_SECONDS = 20.0
IN_PROCESS_PIXELS = 2_000_000
# The peak memory (kB) of the last children, for the bench and the tests.
last_peaks: collections.deque[int] = collections.deque(maxlen=20)


@dataclass
class CheckedFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def check_files(files) -> list[CheckedFile]:
    """Check uploaded files (objects with `filename` and `read()`): the count first, then
    each file, so a flood of files is refused before any is decoded."""
    chosen = [f for f in files or [] if f and f.filename]
    if len(chosen) > MAX_FILES:
        raise RuleViolation(N_("Attach at most 5 files."), field="attachments")
    return [check_file(f.filename, f.read()) for f in chosen]


def check_file(filename: str, data: bytes) -> CheckedFile:
    """Accept a JPEG, PNG or PDF by its content; re-encode images without metadata."""
    if len(data) == 0:
        raise RuleViolation(N_("The file is empty. Choose another file."))
    if len(data) > MAX_BYTES:
        raise RuleViolation(N_("Each file must be 10 MB or smaller."))
    kind = next((k for k in KINDS if data.startswith(k[2])), None)
    if kind is None:
        raise RuleViolation(N_("Attach photos (JPG, PNG) or PDF documents only."))
    content_type, ext, _ = kind
    if content_type.startswith("image/"):
        data = _strip_metadata(data, "JPEG" if ext == "jpg" else "PNG")
    stem = Path(filename or "file").stem[:80] or "file"
    return CheckedFile(f"{stem}.{ext}", content_type, data)


def _strip_metadata(data: bytes, fmt: str) -> bytes:
    """Decode the picture and encode its pixels alone: EXIF (with GPS), comments and any
    trailing payload are dropped, and a file that only looks like a picture is refused.

    Pictures cannot stall the server (issue 18 item 3). Before any pixel is decoded, the
    header's size is checked against MAX_PIXELS and against the file's length (a picture
    that would decode to more than MAX_EXPANSION pixels per byte sent is a decode bomb:
    no photo or scan is that small). The decoding itself runs in a child process with a
    memory cap (RLIMIT_AS) and a time limit (RLIMIT_CPU, and a wall-clock limit after
    which it is killed), so that a picture never takes the worker's memory or time, nor
    the GIL its other threads need."""
    try:
        with Image.open(io.BytesIO(data)) as image:  # reads the header only
            pixels = image.width * image.height
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError, ValueError):
        raise RuleViolation(N_("The picture could not be read. Take or choose it again.")) from None
    if pixels > MAX_PIXELS:
        raise RuleViolation(N_("The picture is too large. Choose a smaller one."))
    if pixels > BOMB_FLOOR_PIXELS and pixels > MAX_EXPANSION * len(data):
        raise RuleViolation(N_("The picture could not be read. Take or choose it again."))
    if pixels <= IN_PROCESS_PIXELS:  # bounded by its size: about 30 MB and 0.1 s
        try:
            return picture_child.reencode(data, fmt)
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            raise RuleViolation(
                N_("The picture could not be read. Take or choose it again.")
            ) from None
    outcome, clean = decode_in_child(data, fmt)
    if outcome != "ok":
        raise RuleViolation(N_("The picture could not be read. Take or choose it again."))
    return clean


CHILD = Path(__file__).with_name("picture_child.py")
OUTCOMES = {0: "ok", 3: "memory"}


def decode_in_child(
    data: bytes,
    fmt: str,
    *,
    memory: int | None = None,
    seconds: float | None = None,
) -> tuple[str, bytes]:
    """Re-encode a picture in a child process (picture_child.py, a fresh interpreter that
    loads Pillow alone) under DECODE_MEMORY and DECODE_SECONDS; ("ok", bytes), or
    ("memory" | "unreadable" | "slow", b""). Its peak memory goes to `last_peaks`."""
    memory = memory or DECODE_MEMORY
    seconds = seconds or DECODE_SECONDS
    command = [sys.executable, "-I", str(CHILD), fmt, str(memory), str(math.ceil(seconds))]
    try:
        done = subprocess.run(
            [*command, str(MAX_PIXELS)], input=data, capture_output=True, timeout=seconds
        )
    except subprocess.TimeoutExpired:  # run() kills the child
        return "slow", b""
    if done.stderr.strip().isdigit():
        last_peaks.append(int(done.stderr))
    outcome = OUTCOMES.get(done.returncode, "unreadable")
    return outcome, done.stdout if outcome == "ok" else b""


def store(root: Path, checked: CheckedFile) -> str:
    """Write the bytes under a random name in `root`; returns that name."""
    root.mkdir(parents=True, exist_ok=True)
    name = secrets.token_hex(16)
    (root / name).write_bytes(checked.data)
    return name
