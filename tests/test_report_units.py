"""The report's pieces on runs written here: large ones (collapse to levels), odd names, the
critical path through a known graph, escaping, finding runs, and the job summary hook.

The real runs (real uv, a real index) are in tests/test_report.py; these are the cases a
real run on this machine cannot make cheaply (200 packages, hostile names).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from releasekit.cli import main
from releasekit.engine.runfile import RunFiles, find_run
from releasekit.engine.stages import GATE, STAGES
from releasekit.errors import ReleasekitError, UsageError
from releasekit.report import render
from releasekit.report.github import step_summary
from releasekit.report.load import interpret
from releasekit.report.markdown import code, md
from releasekit.report.mermaid import label
from releasekit.report.model import ORDER, RunReport, spans_from
from releasekit.report.rows import timeline
from tests import mermaid_gantt

PIPELINE = ("build", "stage", "trial", "upload", "poll", "verify", "publish")


def synthetic(tmp_path: Path, levels: dict[str, int], *, failed: str = "", deps: dict[str, list[str]] | None = None,
              workers: int = 4) -> RunReport:
    """A run as the workers would have written it: each package's stages back to back, a level
    after the one below it, ``failed`` failing its trial (and nothing uploaded after the gate)."""
    deps = deps or {}
    events: list[dict[str, object]] = []
    tasks: list[dict[str, object]] = []
    t0 = 1_800_000_000.0
    packages = []
    verified: dict[str, float] = {}
    for name, level in sorted(levels.items(), key=lambda item: item[1]):
        clock = t0 + level * 0.01
        for stage in PIPELINE:
            dep = [f"verify:{d}" for d in deps.get(name, [])] if stage == "upload" else []
            before = PIPELINE[PIPELINE.index(stage) - 1] if stage != "build" else ""
            tasks.append({"name": f"{stage}:{name}", "stage": stage, "package": name,
                          "task_dep": ([f"{before}:{name}"] if before else []) + dep})
            if failed and stage == "upload":
                break
            if stage == "upload":  # uploads wait for their dependencies to be verified
                clock = max([clock, *(verified[d] + 0.05 for d in deps.get(name, []))])
            events.append({"t": round(clock, 3), "package": name, "stage": stage, "event": "start", "pid": 1})
            clock += 0.3
            bad = name == failed and stage == "trial"
            events.append({"t": round(clock, 3), "package": name, "stage": stage, "event": "fail" if bad else "done",
                           **({"message": "error[RK614] ModuleNotFoundError: No module named 'x' (hint: fix it)",
                               "code": "RK614"} if bad else {})})
            if bad:
                break
        verified[name] = clock - 0.3
        packages.append({"name": name, "level": level, "next_version": "1.0.0", "deps": deps.get(name, [])})
    events.sort(key=lambda e: float(e["t"]))  # type: ignore[arg-type]
    plan = {"started": t0 - 1, "concurrency": workers, "target": "custom",
            "plan": {"packages": packages, "tasks": tasks, "staged": True}}
    run_dir = tmp_path / "runs" / "synthetic"
    run_dir.mkdir(parents=True, exist_ok=True)
    return interpret(RunFiles(run_dir, "synthetic", events, None, plan))


def test_stages_come_from_the_stage_table() -> None:
    assert [s for s in ORDER if s != GATE] == list(STAGES) and ORDER.index(GATE) == ORDER.index("trial") + 1


def test_a_large_run_collapses_to_levels_and_keeps_failures_visible(tmp_path: Path) -> None:
    names = {f"plugin-{i:03d}-with-a-long-descriptive-name": 1 + i % 5 for i in range(200)}
    report = synthetic(tmp_path, {"core": 0, **names}, failed="plugin-007-with-a-long-descriptive-name")
    picture = timeline(report, max_rows=80)
    assert picture.collapsed
    labels = [row.label for row in picture.rows]
    assert labels[:3] == ["level 0", "level 1", "level 2"] and "plugin-007-with-a-long-descriptive-name" in labels
    assert len(picture.rows) == 6 + 1
    failed_rows = [row for row in picture.rows if row.failed]
    assert {row.label for row in failed_rows} == {"level 3", "plugin-007-with-a-long-descriptive-name"}
    chart = mermaid_gantt.parse(render(report, "mermaid"))
    assert len(chart.sections) == 7 and any("crit" in t.tags for t in chart.tasks)
    page = render(report, "html")
    assert "one row per level past 80 rows" in page and "level 5" in page and page.count("<rect class=\"bar") < 200
    # Below the limit every package has its own row.
    assert not timeline(report, max_rows=500).collapsed
    assert len(mermaid_gantt.parse(render(report, "mermaid", max_rows=500)).sections) == 201


def test_names_that_would_break_mermaid_or_markdown(tmp_path: Path) -> None:
    hostile = "evil#pkg: section;`x`|<b>*"
    report = synthetic(tmp_path, {hostile: 0, "click-me": 1, "title": 1, "2024-01-01-pkg": 2},
                       deps={"click-me": [hostile]})
    chart = mermaid_gantt.parse(render(report, "mermaid"))
    assert all(not set("#:;`<>|*") & set(s) for s in chart.sections)
    assert label("a#b:c;d") == "a b c d"
    markdown = render(report, "markdown")
    tokens = MarkdownIt("commonmark").enable("table").parse(markdown)
    assert not any(t.type == "html_inline" and "<b>" in t.content for t in tokens if t.children is None)
    inline = [c for t in tokens if t.children for c in t.children]
    assert not any(c.type == "html_inline" for c in inline)  # the name's <b> stays text
    rows = sum(1 for t in tokens if t.type == "tr_open")
    assert rows == (1 + 4) + (1 + 7)  # packages, stages: the `|` in a name did not split its row
    assert "&lt;b&gt;" in render(report, "html") and "<b>*" not in render(report, "html")


def test_markdown_escapes() -> None:
    assert md("a|b <i> *x* _y_ #1 & `c`") == "a\\|b \\<i\\> \\*x\\* \\_y\\_ \\#1 &amp; \\`c\\`"
    assert code("uses `tick` | pipe") == "``uses `tick` \\| pipe``"
    assert code("`edge`") == "`` `edge` ``"


def test_the_critical_path_follows_what_each_task_waited_for(tmp_path: Path) -> None:
    report = synthetic(tmp_path, {"core": 0, "mid": 1, "app": 2, "side": 1},
                       deps={"mid": ["core"], "app": ["mid"], "side": ["core"]})
    path = [step.task for step in report.totals.critical_path]
    assert path[-1] == "publish:app" and path[0] == "build:core"
    assert "upload:app" in path and "verify:mid" in path and not any(t.endswith(":side") for t in path)
    total = sum(s.end - s.start + s.waited for s in report.totals.critical_path)
    assert abs(total - report.totals.makespan) < 1e-6


def test_a_stage_without_an_end_ran_until_the_run_stopped() -> None:
    spans = spans_from([
        {"t": 10.0, "package": "a", "stage": "build", "event": "start", "pid": 7},
        {"t": 11.0, "package": "a", "stage": "build", "event": "done"},
        {"t": 11.5, "package": "a", "stage": "trial", "event": "start"},
        {"t": 12.0, "package": "b", "stage": "build", "event": "retry", "attempt": 1},
        {"t": 0, "package": "", "stage": "gate", "event": "done"},
    ])
    by_task = {s.task: s for s in spans}
    assert by_task["build:a"].state == "done" and by_task["build:a"].pid == 7
    assert by_task["trial:a"].state == "unfinished" and by_task["trial:a"].end == 12.0
    assert by_task["gate"].seconds == 0


def test_finding_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / ".releasekit"
    with pytest.raises(UsageError) as none:
        find_run(state, "last")
    assert none.value.code == "RK154" and "releasekit publish" in none.value.hint
    for run in ("20260101-000000-aaaaaa", "20260102-000000-bbbbbb"):
        (state / "runs" / run).mkdir(parents=True)
        (state / "runs" / run / "events.ndjson").write_text("")
    assert find_run(state, "last").name == "20260102-000000-bbbbbb"
    assert find_run(state, "20260101-000000-aaaaaa").name == "20260101-000000-aaaaaa"
    with pytest.raises(UsageError) as missing:
        find_run(state, "../../etc")
    assert "20260102-000000-bbbbbb" in missing.value.hint
    (tmp_path / "pyproject.toml").write_text("[tool.uv.workspace]\nmembers = []\n")
    assert main(["report", "nope", "-w", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error[RK154]") and "nope" in err and "Traceback" not in err
    assert main(["report", "--max-rows", "0", "-w", str(tmp_path)]) == 2


def test_an_empty_run_still_renders(tmp_path: Path) -> None:
    run = tmp_path / "runs" / "empty"
    run.mkdir(parents=True)
    report = interpret(RunFiles(run, "empty", [], None, None))
    for fmt in ("table", "json", "markdown", "mermaid", "html"):
        assert render(report, fmt)
    assert json.loads(render(report, "json"))["verdict"] == "unfinished"


def test_the_job_summary_gets_exactly_one_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(target))
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_canaryTOKEN12345")
    with step_summary("prepare") as section:
        section.note("nothing to release with ghs_canaryTOKEN12345")
    with pytest.raises(ReleasekitError), step_summary("release"):
        raise ReleasekitError("no merged PR", code="RK706", hint="merge it first")
    with step_summary("publish"):
        pass
    text = target.read_text()
    assert [line for line in text.splitlines() if line.startswith("## ")] == [
        "## releasekit prepare", "## releasekit release: failed", "## releasekit publish"]
    assert "error[RK706] no merged PR (hint: merge it first)" in text and "ghs_canary" not in text
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    with step_summary("publish") as section:  # cannot be written: a warning, never a failure
        section.note("done")
    assert "could not write the job summary" in capsys.readouterr().err


def test_retries_are_listed_with_their_cause(tmp_path: Path) -> None:
    events = [
        {"t": 1.0, "package": "a", "stage": "upload", "event": "start"},
        {"t": 1.5, "package": "a", "stage": "upload", "event": "retry", "attempt": 1, "delay": 0.8,
         "cause": "index answered 503"},
        {"t": 3.0, "package": "a", "stage": "upload", "event": "done"},
    ]
    report = interpret(RunFiles(tmp_path, "r", events, None, None))
    assert [(r.stage, r.attempt, r.delay) for r in report.packages[0].retries] == [("upload", 1, 0.8)]
    line = "a upload attempt 1, retried after 0.80 s: index answered 503"
    assert line in render(report, "table") and line in render(report, "html")
    assert "1 retries" in render(report, "markdown") and "index answered 503" in render(report, "markdown")
    assert json.loads(render(report, "json"))["packages"][0]["retries"][0]["cause"] == "index answered 503"
