"""`make audit-deps`: known vulnerabilities in the pinned dependencies (SECURITY.md
checklist 39; issue 9 item 9).

- Python: pip-audit over requirements.txt (every pin exact, so `--no-deps --disable-pip`),
  against the PyPI advisory feed. That feed carries no severity, so the threshold is: any
  known vulnerability fails, unless tools/audit-allow.txt lists its id with a reason.
- htmx and the other front-end packages: `npm audit --omit=dev`; high and critical fail.

Offline-tolerant: when an advisory database cannot be reached, that part says "could not
check" and why, and does not fail. Exit status 1 only for a real finding.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW = ROOT / "tools" / "audit-allow.txt"
NPM_FAILING = ("high", "critical")
OK, FINDING, UNCHECKED = "ok", "finding", "could not check"


def allowed_ids(path: Path = ALLOW) -> list[str]:
    """Vulnerability ids accepted on purpose: one a line, `ID  # why`."""
    if not path.exists():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [line for line in lines if line]


def pip_verdict(stdout: str, stderr: str) -> tuple[str, str]:
    """Judge pip-audit's JSON report."""
    try:
        report = json.loads(stdout)
        dependencies = report["dependencies"]
    except (ValueError, KeyError, TypeError):
        last = (stderr.strip().splitlines() or ["no report"])[-1]
        return UNCHECKED, f"pip-audit gave no report ({last})"
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if vulnerable:
        return FINDING, "; ".join(
            f"{d['name']} {d['version']}: "
            + ", ".join(
                f"{v['id']} (fixed in {', '.join(v.get('fix_versions') or ['no release'])})"
                for v in d["vulns"]
            )
            for d in vulnerable
        )
    if dependencies and len(skipped) == len(dependencies):
        return UNCHECKED, (
            "the PyPI advisory database was not reachable: " + skipped[0]["skip_reason"]
        )
    note = f" ({len(skipped)} not checked)" if skipped else ""
    return OK, f"no known vulnerabilities in {len(dependencies) - len(skipped)} packages{note}"


def npm_verdict(stdout: str) -> tuple[str, str]:
    """Judge `npm audit --json`."""
    try:
        report = json.loads(stdout)
    except ValueError:
        return UNCHECKED, "npm audit gave no report"
    counts = (report.get("metadata") or {}).get("vulnerabilities")
    if counts is None:
        why = report.get("message") or (report.get("error") or {}).get("summary") or "no counts"
        return UNCHECKED, f"the npm advisory database was not reachable: {why}"
    failing = {level: counts.get(level, 0) for level in NPM_FAILING if counts.get(level, 0)}
    if failing:
        names = ", ".join(sorted(report.get("vulnerabilities") or {}))
        return FINDING, ", ".join(f"{n} {level}" for level, n in failing.items()) + f": {names}"
    return OK, "nothing high or critical ({})".format(
        ", ".join(f"{counts.get(k, 0)} {k}" for k in ("low", "moderate"))
    )


def run_pip_audit() -> tuple[str, str]:
    tool = Path(sys.executable).with_name("pip-audit")
    if not tool.exists():
        return UNCHECKED, f"pip-audit is not installed in {tool.parent}"
    command = [
        str(tool),
        "-r",
        str(ROOT / "requirements.txt"),
        "--no-deps",
        "--disable-pip",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "15",
    ]
    for vuln in allowed_ids():
        command += ["--ignore-vuln", vuln]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return UNCHECKED, "pip-audit timed out"
    return pip_verdict(run.stdout, run.stderr)


def run_npm_audit() -> tuple[str, str]:
    npm = shutil.which("npm")
    if npm is None:
        return UNCHECKED, "npm is not installed"
    try:
        run = subprocess.run(
            [npm, "audit", "--omit=dev", "--json"],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired:
        return UNCHECKED, "npm audit timed out"
    return npm_verdict(run.stdout)


def main() -> int:
    failed = False
    for name, check in (("pip-audit", run_pip_audit), ("npm audit", run_npm_audit)):
        status, message = check()
        print(f"audit-deps: {name}: {status}: {message}")
        failed = failed or status == FINDING
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
