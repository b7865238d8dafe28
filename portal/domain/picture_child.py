"""Re-encode one picture, in a process of its own (portal/domain/uploads.py runs this file
as a script, by path: it imports nothing of the portal, only Pillow).

    python -I picture_child.py FORMAT MEMORY_BYTES CPU_SECONDS < picture > clean picture

It caps its own address space (RLIMIT_AS) and CPU time (RLIMIT_CPU) before reading a byte,
decodes the picture, keeps its pixels alone (EXIF with GPS, comments and trailing payloads
are dropped; portrait photos stay upright) and writes them encoded again to stdout. Exit
status: 0 done, 3 out of memory, 4 unreadable; its peak memory (kB) goes to stderr.
"""

from __future__ import annotations

import io
import resource
import sys


def reencode(data: bytes, fmt: str) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image: Image.Image = ImageOps.exif_transpose(opened)  # keep portrait photos upright
        if image.mode not in ("RGB", "RGBA", "L"):
            image = image.convert("RGBA" if fmt == "PNG" else "RGB")
        if fmt == "JPEG" and image.mode == "RGBA":
            image = image.convert("RGB")
        clean = Image.frombytes(image.mode, image.size, image.tobytes())
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=85)
    else:
        # Fast deflate: `optimize=True` took minutes of CPU on a noisy 24-megapixel PNG.
        clean.save(out, "PNG", compress_level=1)
    return out.getvalue()


def main() -> int:
    fmt, memory, cpu = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    data = sys.stdin.buffer.read()
    try:
        from PIL import Image

        Image.MAX_IMAGE_PIXELS = int(sys.argv[4]) if len(sys.argv) > 4 else None
        clean = reencode(data, fmt)
        status = 0
    except MemoryError:
        clean, status = b"", 3
    except Exception:  # anything Pillow raises on a file it cannot read
        clean, status = b"", 4
    sys.stdout.buffer.write(clean)
    sys.stderr.write(str(peak_kb()))
    return status


def peak_kb() -> int:
    """This process's peak resident memory since it started (VmHWM; getrusage's maxrss
    keeps the parent's across exec)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


if __name__ == "__main__":
    sys.exit(main())
