"""Do portal/web/i18n.py's overrides of Flask-Babel pay? (issue 19 item 5: drop them and
the translation caches unless a bench shows they pay.)

    .venv/bin/python bench/i18n.py [--values 300] [--repeat 20]

1. Templates' `_()`: renders a template calling `_()` 2 x --values times (a plain string
and one with a parameter), with i18n.py's callables (the request's catalogue looked up
once) and with Flask-Babel's own (`install_gettext_callables` as Flask-Babel does),
checks the output is the same and prints the best of --repeat renders of each.
2. The `day` filter: writes --values timestamps (one every 37 minutes, as a long timeline
or a list shows them) in both languages, through the portal's `day` filter (the
request's locale, zone and style looked up once, each day and minute formatted once per
process) and through Flask-Babel's own `format_date` + `format_time`, checks that both write the
same text, and prints the best of --repeat runs of each, per value. In-process, no server.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import flask_babel  # noqa: E402
from benchdb import bench_config  # noqa: E402
from flask import session  # noqa: E402
from flask_babel import format_date, format_time, get_locale  # noqa: E402

from portal import create_app  # noqa: E402
from portal.web import i18n  # noqa: E402

TEMPLATE = "{%% for i in range(%d) %%}{{ _('Sign out') }}{{ _('Case %%(n)s', n=i) }}{%% endfor %%}"


def plain(value: datetime) -> str:
    """The same text with Flask-Babel alone, every call looking everything up again."""
    style = "long" if str(get_locale()).startswith("zh") else "medium"
    return f"{format_date(value, style)} {format_time(value, 'short')}"


def best(function, values, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.process_time()
        for value in values:
            function(value)
        times.append(time.process_time() - start)
    return min(times) / len(values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--values", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    app = create_app(bench_config("sqlite://"))
    start = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
    values = [start + timedelta(minutes=37 * i) for i in range(args.values)]
    env = app.jinja_env
    for language in app.config["LANGUAGES"]:
        rendered, seconds = {}, {}
        for name, callables in (
            ("i18n.py", (i18n._template_gettext, i18n._template_ngettext)),
            ("Flask-Babel", (flask_babel.gettext, flask_babel.ngettext)),
        ):
            env.install_gettext_callables(*callables, newstyle=True)
            template = env.from_string(TEMPLATE % args.values)
            times = []
            for _ in range(args.repeat):
                with app.test_request_context():
                    session["lang"] = language
                    start = time.process_time()
                    rendered[name] = template.render()
                    times.append(time.process_time() - start)
            seconds[name] = min(times) / (2 * args.values)
        env.install_gettext_callables(
            i18n._template_gettext, i18n._template_ngettext, newstyle=True
        )
        assert rendered["i18n.py"] == rendered["Flask-Babel"]
        ours, theirs = seconds["i18n.py"], seconds["Flask-Babel"]
        print(
            f"{language:<11} template _()  {1e6 * ours:6.1f} µs per call, Flask-Babel's own "
            f"{1e6 * theirs:6.1f} µs ({theirs / ours:.1f}x)"
        )

        # One request per round, as a page is: the filter's per-request look-ups count.
        def filtered(value, _f=app.jinja_env.filters["day"]):
            return _f(value)

        with app.test_request_context():
            session["lang"] = language
            assert [filtered(v) for v in values] == [plain(v) for v in values]
            ours = best(filtered, values, args.repeat)
            theirs = best(plain, values, args.repeat)
        print(
            f"{language:<11} day filter    {1e6 * ours:6.1f} µs per value, Flask-Babel alone "
            f"{1e6 * theirs:6.1f} µs ({theirs / ours:.1f}x); {args.values} values: "
            f"{1e3 * ours * args.values:.2f} ms against {1e3 * theirs * args.values:.2f} ms"
        )


if __name__ == "__main__":
    main()
