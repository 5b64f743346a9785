"""`releasekit report` on real runs: a finished publish, a failed one, an interrupted one.

The three runs are made once for the module (tests/report_runs.py: real uv, a real local
index, the real command line, about 30 s) and every format of every test draws their events.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import struct
import subprocess
import zlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from markdown_it import MarkdownIt

from releasekit.cli import main
from tests import mermaid_gantt
from tests.harness.netutil import EgressTrap
from tests.report_runs import CANARY, Runs, make_runs

pytestmark = pytest.mark.slow

NAMES = ("acme-api", "acme-cli", "acme-core", "acme-http", "acme-log", "acme-store")
FORMATS = ("table", "json", "markdown", "mermaid", "html")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, wheelhouse: Path, uv_cache_dir: Path,
         egress_trap: EgressTrap) -> Iterator[Runs]:
    before = len(egress_trap.attempts)
    with pytest.MonkeyPatch.context() as patch:
        # The index password is a secret releasekit knows to mask, here as in the runs.
        patch.setenv("UV_PUBLISH_PASSWORD", CANARY)
        yield make_runs(tmp_path_factory.mktemp("report-runs"), wheelhouse, uv_cache_dir, egress_trap.url)
    assert not egress_trap.attempts[before:], egress_trap.attempts[before:]


def report(capsys: pytest.CaptureFixture[str], runs: Runs, *args: str) -> str:
    code = main(["report", *args, "-w", str(runs.ws)])
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def every_format(capsys: pytest.CaptureFixture[str], runs: Runs, run: str, tmp_path: Path) -> dict[str, str]:
    ref = runs.dirs[run].name
    out = {fmt: report(capsys, runs, ref, "--format", fmt) for fmt in FORMATS if fmt != "html"}
    page = tmp_path / f"{run}.html"
    assert report(capsys, runs, ref, "--format", "html", "-o", str(page)).strip() == str(page)
    out["html"] = page.read_text(encoding="utf-8")
    return out


def mermaid_blocks(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return [t.content for t in tokens if t.type == "fence" and t.info.strip() == "mermaid"]


def table_rows(markdown: str) -> int:
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    return sum(1 for t in tokens if t.type == "tr_open")


def test_a_finished_run_in_every_format(runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert runs.codes["finished"] == 0, runs.stdout["finished"]
    out = every_format(capsys, runs, "finished", tmp_path)
    assert out["table"].startswith(f"run {runs.dirs['finished'].name}: ok, exit 0; 6 packages: 6 published")
    assert "critical path as it ran" in out["table"] and "first upload at" in out["table"]

    data = json.loads(out["json"])
    assert data["verdict"] == "ok" and data["staged"] is True
    assert {p["name"]: p["result"] for p in data["packages"]} == dict.fromkeys(NAMES, "published")
    assert all(p["reached"] == "publish" and p["cause"] == "" for p in data["packages"])
    totals = data["totals"]
    assert 0 < totals["first_upload"] < totals["makespan"] and 0 < totals["utilisation"] <= 1
    path = [s["task"] for s in totals["critical_path"]]
    assert path[-1].startswith("publish:") and "gate" in path and path[0].startswith("build:")
    assert abs(sum(s["end"] - s["start"] + s["waited"] for s in totals["critical_path"]) - totals["makespan"]) < 0.05
    for step, after in zip(totals["critical_path"], totals["critical_path"][1:], strict=False):
        assert step["end"] <= after["start"] + 0.01  # each step waited for the one before it
    timed = {s["stage"] for s in data["stages"]}
    assert {"build", "stage", "trial", "gate", "upload", "poll", "verify", "publish"} <= timed
    for task in data["tasks"]:
        assert 0 <= task["start"] <= task["end"] <= totals["makespan"] + 0.001 and task["state"] == "done"
    # Uploads waited for the gate, and each for its dependencies' verification.
    gate = next(t["end"] for t in data["tasks"] if t["task"] == "gate")
    assert all(t["start"] >= gate - 0.01 for t in data["tasks"] if t["stage"] == "upload")

    (block,) = mermaid_blocks(out["markdown"])
    assert block.rstrip("\n") == out["mermaid"].rstrip("\n")
    chart = mermaid_gantt.parse(out["mermaid"])
    assert chart.front_matter == {"displayMode": "compact"} and chart.settings["dateformat"] == "x"
    assert [s.split(" (")[0] for s in chart.sections] == ["staged gate", *(p["name"] for p in data["packages"])]
    assert {t.name for t in chart.tasks} >= {"build", "trial", "upload", "verify", "gate opened"}
    assert not any("crit" in t.tags for t in chart.tasks)
    assert table_rows(out["markdown"]) >= 1 + 6

    page = out["html"]
    assert all(name in page for name in NAMES) and "<svg" in page
    assert not any(x in page.lower() for x in ("<script", "http://", "https://", "<link", "@import", "url("))
    # publish itself left the page in the run's directory
    assert "acme-cli" in (runs.dirs["finished"] / "report.html").read_text()


def test_a_failed_run_names_the_cause_first_and_the_blocked(runs: Runs, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    assert runs.codes["failed"] == 1, runs.stdout["failed"]
    out = every_format(capsys, runs, "failed", tmp_path)
    data = json.loads(out["json"])
    assert data["verdict"] == "failed" and data["exit_code"] == 1
    http = next(p for p in data["packages"] if p["name"] == "acme-http")
    assert http["result"] == "failed" and http["reached"] == "trial" and http["code"] == "RK614"
    assert http["cause"].startswith("error[RK614] ModuleNotFoundError: No module named 'acme_http_missing_helper'")
    assert "does not import" in http["hint"] and http["logs"] and Path(http["logs"][0]).is_file()
    others = [p for p in data["packages"] if p["name"] != "acme-http"]
    assert {p["result"] for p in others} == {"blocked"}
    assert all("staged gate" in p["cause"] and "acme-http" in p["cause"] for p in others)
    assert data["totals"]["first_upload"] is None and "gate" not in {t["task"] for t in data["tasks"]}

    assert "acme-http failed at trial: error[RK614] ModuleNotFoundError" in out["table"]
    assert "### Failures" in out["markdown"] and "hint: acme-http 0.3.0 installs but does not import" in (
        out["markdown"])
    chart = mermaid_gantt.parse(out["mermaid"])
    (failed,) = [t for t in chart.tasks if "crit" in t.tags]
    assert failed.name == "trial" and failed.section.startswith("acme-http (failed)")
    assert "ModuleNotFoundError" in out["html"] and "✕" in out["html"]


def test_an_interrupted_run_and_one_killed_before_its_summary(runs: Runs, capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    assert runs.codes["interrupted"] == 130, runs.stdout["interrupted"]
    out = every_format(capsys, runs, "interrupted", tmp_path)
    assert report(capsys, runs) == out["table"]  # `last` is the newest run
    data = json.loads(out["json"])
    assert data["verdict"] == "cancelled" and data["exit_code"] == 130
    assert {p["result"] for p in data["packages"]} == {"cancelled"}
    assert any(t["stage"] == "trial" and t["state"] == "done" for t in data["tasks"])
    mermaid_gantt.parse(out["mermaid"])
    assert "cancelled" in out["html"]

    # The same run as if SIGKILL had struck: events and plan, no summary; read from its directory
    # alone, as a downloaded CI artifact is (no workspace needed).
    killed = tmp_path / "artifact" / "killed-run"
    shutil.copytree(runs.dirs["interrupted"], killed)
    (killed / "summary.json").unlink()
    events = (killed / "events.ndjson").read_text().splitlines()
    last_start = max(i for i, line in enumerate(events) if '"event": "start"' in line)
    (killed / "events.ndjson").write_text("\n".join(events[: last_start + 1]) + "\n")  # a stage still running
    code = main(["report", str(killed), "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["verdict"] == "unfinished" and data["exit_code"] is None
    assert "interrupted" in {p["result"] for p in data["packages"]}
    assert any(t["state"] == "unfinished" for t in data["tasks"])
    assert any("active" in t.tags for t in mermaid_gantt.parse(render_killed(killed, capsys)).tasks)


def render_killed(killed: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["report", str(killed), "--format", "mermaid"]) == 0
    return capsys.readouterr().out


def test_each_publish_wrote_one_job_summary_section(runs: Runs) -> None:
    for run, summary in runs.summaries.items():
        text = summary.read_text(encoding="utf-8")
        assert text.count("## releasekit publish") == 1, (run, text)
        assert text.startswith("## releasekit publish: ")
    finished = runs.summaries["finished"].read_text()
    assert "## releasekit publish: ok" in finished and len(mermaid_blocks(finished)) == 1
    mermaid_gantt.parse(mermaid_blocks(finished)[0])
    failed = runs.summaries["failed"].read_text()
    assert "FAILED" in failed and "ModuleNotFoundError" in failed and "hint:" in failed
    assert "cancelled" in runs.summaries["interrupted"].read_text()


def leak_forms(secret: str) -> list[bytes]:
    return [secret.encode(), quote(secret, safe="").encode(), base64.b64encode(f"releasekit-test:{secret}".encode())]


def test_canary_secrets_never_appear(runs: Runs, capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A run whose relayed messages carried the secret (as uv's output might), raw and in a URL.
    tainted = tmp_path / "tainted"
    shutil.copytree(runs.dirs["failed"], tainted)
    at = json.loads((tainted / "events.ndjson").read_text().splitlines()[-1])["t"]
    with (tainted / "events.ndjson").open("a") as handle:
        for event in ({"t": at, "package": "acme-log", "stage": "upload", "event": "retry", "attempt": 1,
                       "delay": 0.5, "cause": f"503 from https://user:{CANARY}@127.0.0.1/ with {CANARY}"},
                      {"t": at, "package": "acme-store", "stage": "probe", "event": "start"}):
            handle.write(json.dumps(event) + "\n")
    monkeypatch.setenv("UV_PUBLISH_PASSWORD", CANARY)
    outputs: list[tuple[str, bytes]] = []
    for fmt in FORMATS:
        assert main(["report", str(tainted), "--format", fmt, "-o", "-"]) == 0
        outputs.append((f"report --format {fmt}", capsys.readouterr().out.encode()))
        masked = outputs[-1][1].decode().replace("\\*", "*")  # Markdown escapes the mask's stars
        assert "***" in masked or fmt == "mermaid"  # the retry's cause, masked
    for run in runs.dirs.values():
        outputs += [(str(p), p.read_bytes()) for p in run.rglob("*") if p.is_file()]
    outputs += [(str(p), p.read_bytes()) for p in runs.summaries.values()]
    outputs += [(f"stdout of {run}", text.encode()) for run, text in runs.stdout.items()]
    leaks = [where for where, data in outputs for form in leak_forms(CANARY) if form in data]
    assert not leaks, leaks


def png_pixels_vary(png: bytes) -> bool:
    """A screenshot that is more than one flat colour (the PNG's pixel rows, decompressed)."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    data, offset = b"", 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kind = png[offset + 4:offset + 8]
        if kind == b"IDAT":
            data += png[offset + 8:offset + 8 + length]
        offset += 12 + length
    return len(set(zlib.decompress(data))) > 8


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's `chromium` (.ci/run installs it); not on this machine")
def test_the_html_opens_in_headless_chromium(runs: Runs, tmp_path: Path) -> None:
    page = runs.dirs["failed"] / "report.html"
    assert page.is_file()
    assert CHROMIUM is not None
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1024"]
    env = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         env=env, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert all(name in dom.stdout for name in NAMES) and "<svg" in dom.stdout
    shot = tmp_path / "report.png"
    done = subprocess.run([*base, f"--screenshot={shot}", page.as_uri()], capture_output=True, text=True,
                          timeout=120, env=env, check=False)
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    assert shot.stat().st_size > 10_000 and png_pixels_vary(shot.read_bytes())
