"""The portal for bench/profiler.py: bench/app_wsgi.py's app inside a profiling middleware.

Each request runs under pyinstrument (PROFILER=pyinstrument, the default: one accumulated
session per route) or cProfile (PROFILER=cprofile: one accumulated profile per route; its
per-call cost inflates deep call chains), and its SQL statements are counted. `GET /__profile__`
(answered by the middleware, never by the portal) writes the reports to PROFILE_DIR and
starts over. One gunicorn worker, so everything lands in one process.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
import re
import time
from collections import defaultdict
from pathlib import Path

from app_wsgi import app
from pyinstrument import Profiler
from sqlalchemy import event

from portal.extensions import db

OUT = Path(os.environ["PROFILE_DIR"])
WITH_CPROFILE = os.environ.get("PROFILER", "pyinstrument") == "cprofile"
NUMBER = re.compile(r"/cases/[^/]+")


def _route(environ) -> str:
    path = NUMBER.sub("/cases/<number>", environ.get("PATH_INFO", ""))
    return f"{environ['REQUEST_METHOD']} {path}"


class Profiled:
    def __init__(self, inner):
        self.inner = inner
        self.reset()
        with app.app_context():
            event.listen(db.engine, "before_cursor_execute", self._count)

    def reset(self):
        self.pyi: dict[str, Profiler] = {}
        # CPU time, not wall time: on a shared machine a wall clock also counts waiting for
        # a core; SQL's own time then shows only in the client's share.
        self.cpr: dict[str, cProfile.Profile] = defaultdict(
            lambda: cProfile.Profile(time.process_time)
        )
        self.requests: dict[str, int] = defaultdict(int)
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.sql: dict[str, list[str]] = defaultdict(list)
        self.current: str | None = None

    def _count(self, _conn, _cursor, statement, *_args):
        if self.current is not None:
            self.sql[self.current].append(" ".join(statement.split())[:160])

    def dump(self) -> None:
        OUT.mkdir(parents=True, exist_ok=True)
        summary = []
        for route, count in sorted(self.requests.items()):
            slug = re.sub(r"[^A-Za-z0-9]+", "_", route).strip("_")
            if WITH_CPROFILE:
                stream = io.StringIO()
                stats = pstats.Stats(self.cpr[route], stream=stream)
                stats.sort_stats("cumulative").print_stats(60)
                stats.sort_stats("tottime").print_stats(40)
                (OUT / f"{slug}.cprofile.txt").write_text(stream.getvalue())
            else:
                (OUT / f"{slug}.pyinstrument.txt").write_text(
                    self.pyi[route].output_text(unicode=True, color=False, show_all=False)
                )
            statements = self.sql[route]
            per = len(statements) / count
            distinct = sorted(set(statements), key=statements.index)
            (OUT / f"{slug}.sql.txt").write_text(
                f"{per:.1f} statements per request\n"
                + "\n".join(f"{statements.count(s) / count:5.1f}  {s}" for s in distinct)
                + "\n"
            )
            summary.append(
                f"{route:<28}{count:>5} requests {1000 * self.seconds[route] / count:7.2f} ms wall "
                f"{1000 * self.cpu[route] / count:7.2f} ms CPU (under the profiler) "
                f"{per:5.1f} SQL statements"
            )
        (OUT / "summary.txt").write_text("\n".join(summary) + "\n")

    def __call__(self, environ, start_response):
        if environ.get("PATH_INFO") == "/__profile__":
            self.dump()
            self.reset()
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"written\n"]
        route = _route(environ)
        if WITH_CPROFILE:
            profiler = self.cpr[route]
            profiler.enable()
        else:
            profiler = self.pyi.get(route)
            if profiler is None:
                profiler = self.pyi[route] = Profiler(interval=0.0002, async_mode="disabled")
            profiler.start()
        self.current = route
        start, cpu = time.perf_counter(), time.process_time()
        try:
            body = self.inner(environ, start_response)
            out = b"".join(body)  # the response is built inside the profile
            if hasattr(body, "close"):
                body.close()
        finally:
            if WITH_CPROFILE:
                profiler.disable()
            else:
                profiler.stop()
            self.seconds[route] += time.perf_counter() - start
            self.cpu[route] += time.process_time() - cpu
            self.requests[route] += 1
            self.current = None
        return [out]


application = Profiled(app.wsgi_app)
app.wsgi_app = application
