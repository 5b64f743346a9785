"""`releasekit check`: each check firing and not, --fix, --skip, ignores, formats, plugins."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from releasekit.checks import (
    Change,
    CheckBackend,
    CheckContext,
    CheckInfo,
    CheckReport,
    Finding,
    check_ids,
    default_backends,
    run_checks,
    run_for_doit,
)
from releasekit.engine.plan import build_plan
from releasekit.errors import VersionError
from releasekit.model.selection import Selection
from releasekit.model.workspace import load_workspace
from releasekit.support.fsutil import TMP_MARK
from releasekit.support.journal import Journal
from tests.harness.cli import in_process, rk
from tests.harness.workspace import simple_workspace, write_package, write_root

ALL_CHECKS = {
    "cycles",
    "self_deps",
    "orphan_deps",
    "internal_pins",
    "missing_license",
    "missing_readme",
    "stale_artifacts",
    "type_markers",
    "version_consistency",
    "naming_convention",
    "metadata_completeness",
}


def check(root: Path, **kwargs: object) -> CheckReport:
    return run_checks(load_workspace(root), **kwargs)  # type: ignore[arg-type]


def of(report: CheckReport, check_id: str) -> list[Finding]:
    return [f for f in report.findings if f.check == check_id]


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    return simple_workspace(tmp_path / "ws")


# --- the runner -----------------------------------------------------------------------------


def test_ten_checks_and_a_clean_workspace_passes(ws: Path) -> None:
    assert set(check_ids(default_backends())) == ALL_CHECKS
    report = check(ws)
    assert report.findings == ()
    assert report.ok
    assert set(report.checks_run) == ALL_CHECKS


def test_bundled_example_passes_every_check(
    example_ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc, out, _ = in_process(capsys, "-w", str(example_ws), "check")
    assert rc == 0, out
    assert "0 error(s), 0 warning(s) from 11 checks" in out


def test_errors_exit_1_warnings_exit_0(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "packages/core/dist").mkdir()
    (ws / "packages/core/dist/acme_core-0.1.0.tar.gz").write_bytes(b"old")
    rc, out, _ = in_process(capsys, "-w", str(ws), "check")
    assert rc == 0  # a stale dist/ is a warning
    assert "stale_artifacts" in out and "[fixable]" in out
    (ws / "packages/core/README.md").unlink()
    rc, out, _ = in_process(capsys, "-w", str(ws), "check")
    assert rc == 1
    assert "missing_readme" in out


def test_skip_drops_a_check_and_says_so(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (ws / "packages/core/README.md").unlink()
    assert of(check(ws), "missing_readme")
    report = check(ws, skip=["missing_readme"])
    assert not of(report, "missing_readme")
    assert report.skipped == ("missing_readme",)
    rc, out, _ = in_process(
        capsys, "-w", str(ws), "check", "--skip", "missing_readme,metadata_completeness"
    )
    assert rc == 0
    assert "skipped: missing_readme, metadata_completeness" in out


def test_unknown_skip_id_is_one_line_exit_2(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err = in_process(capsys, "-w", str(ws), "check", "--skip", "type_marker")
    assert rc == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("error[RK151]") and "did you mean `type_markers`?" in err


def test_config_skip_and_unknown_config_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = simple_workspace(tmp_path / "a", releasekit='checks = { skip = ["missing_readme"] }')
    (root / "packages/core/README.md").unlink()
    assert not of(check(root), "missing_readme")
    bad = simple_workspace(tmp_path / "b", releasekit='checks = { skip = ["nope"] }')
    rc, _, err = in_process(capsys, "-w", str(bad), "check")
    assert rc == 2 and err.startswith("error[RK123]")
    bad = simple_workspace(
        tmp_path / "c", releasekit='checks = { ignore = { acme-cor = ["cycles"] } }'
    )
    rc, _, err = in_process(capsys, "-w", str(bad), "check")
    assert rc == 2 and "did you mean `acme-core`?" in err


def test_per_package_ignores_by_name_and_glob(tmp_path: Path) -> None:
    root = simple_workspace(
        tmp_path / "ws", releasekit='checks = { ignore = { acme-core = ["missing_readme"] } }'
    )
    (root / "packages/core/README.md").unlink()
    (root / "packages/app/README.md").unlink()
    report = check(root)
    assert [f.package for f in of(report, "missing_readme")] == ["acme-app"]
    assert [f.package for f in report.ignored] == ["acme-core"]
    root2 = simple_workspace(
        tmp_path / "ws2", releasekit='checks = { ignore = { "acme-*" = ["missing_readme"] } }'
    )
    (root2 / "packages/core/README.md").unlink()
    assert check(root2).ok


def test_json_on_stdout_and_notices_on_stderr(ws: Path) -> None:
    """A notice (here: repairing a file a killed run left rewritten) must not corrupt the JSON."""
    manifest = ws / "packages/core/pyproject.toml"
    Journal(ws / ".releasekit").rewrite(manifest, manifest.read_bytes() + b"# pinned\n", "pin")
    (ws / "packages/core/dist").mkdir()
    (ws / "packages/core/dist/x.whl").write_bytes(b"x")
    proc = rk(ws, "-w", str(ws), "check", "--format", "json", env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == "releasekit.check/1"
    assert data["ok"] is True and data["errors"] == 0 and data["warnings"] == 1
    (finding,) = data["findings"]
    assert finding == {
        "check": "stale_artifacts",
        "severity": "warning",
        "package": "acme-core",
        "file": "packages/core/dist",
        "message": finding["message"],
        "hint": finding["hint"],
        "fixable": True,
    }
    assert "repaired a file left by an interrupted run" in proc.stderr
    assert b"# pinned" not in manifest.read_bytes()


def test_doit_function_returns_false_on_errors(
    ws: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_for_doit(str(ws)) is True
    (ws / "packages/app/README.md").unlink()
    assert run_for_doit(str(ws)) is False
    assert "missing_readme" in capsys.readouterr().out
    manifest = ws / "pyproject.toml"
    manifest.write_text(manifest.read_text() + 'checks = { skip = ["nope"] }\n')
    assert run_for_doit(str(ws)) is False
    assert capsys.readouterr().err.startswith("error[RK123]")


# --- universal checks -----------------------------------------------------------------------


def test_cycles_reports_the_path(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root, sources=("a", "b", "c", "d"))
    write_package(root, "packages/a", "a", deps=["b"])
    write_package(root, "packages/b", "b", deps=["c"])
    write_package(root, "packages/c", "c", deps=["a"])
    write_package(root, "packages/d", "d", deps=["a"])
    (finding,) = of(check(root), "cycles")
    assert finding.severity == "error"
    assert finding.message == (
        "dependency cycle: a -> b -> c -> a (a -> b: packages/a/pyproject.toml [project.dependencies] 'b'; "
        "b -> c: packages/b/pyproject.toml [project.dependencies] 'c'; "
        "c -> a: packages/c/pyproject.toml [project.dependencies] 'a')"
    )
    assert finding.file == "packages/a/pyproject.toml"


def test_a_cycle_through_an_extra_is_a_warning_and_a_real_cycle_an_error(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/a", "a", deps=["b"])
    write_package(root, "packages/b", "b", optional={"x": ["a"]})
    write_package(root, "packages/c", "c", deps=["d"])
    write_package(root, "packages/d", "d", deps=["c"])
    found = [(f.severity, f.package, f.file, f.message) for f in of(check(root), "cycles")]
    assert found == [
        ("error", "c", "packages/c/pyproject.toml",
         "dependency cycle: c -> d -> c (c -> d: packages/c/pyproject.toml [project.dependencies] 'd'; "
         "d -> c: packages/d/pyproject.toml [project.dependencies] 'c')"),
        ("warning", "b", "packages/b/pyproject.toml",
         "1 extra(s) of b in [project.optional-dependencies] point back at packages that depend on it: "
         "[x] b -> a -> b; not a publish cycle: b is published first and the extras are pinned exactly at build"),
    ]


def test_a_cycle_among_members_never_released_is_only_a_warning(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root, members=("packages/*", "samples/*"), releasekit='exclude = ["samples/*"]')
    write_package(root, "samples/a", "sample-a", deps=["sample-b"])
    write_package(root, "samples/b", "sample-b", deps=["sample-a"])
    write_package(root, "packages/core", "core")
    (finding,) = of(check(root), "cycles")
    assert finding.severity == "warning" and finding.package == "sample-a"


def test_self_deps_errors_but_extras_of_itself_are_fine(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(
        root, "packages/ok", "ok-pkg", optional={"a": [], "b": [], "all": ["ok-pkg[a,b]"]}
    )
    write_package(root, "packages/bad", "bad-pkg", deps=["bad-pkg>=0.1"])
    write_package(
        root, "packages/typo", "typo-pkg", optional={"a": [], "all": ["typo-pkg[a,nope]"]}
    )
    write_package(root, "packages/noop", "noop-pkg", optional={"x": ["noop-pkg"]})
    report = check(root)
    found = {f.package: f for f in of(report, "self_deps")}
    assert set(found) == {"bad-pkg", "typo-pkg", "noop-pkg"}
    assert (
        found["bad-pkg"].severity == "error"
        and "[project] dependencies" in found["bad-pkg"].message
    )
    assert found["typo-pkg"].severity == "error" and "typo-pkg[nope]" in found["typo-pkg"].message
    assert found["noop-pkg"].severity == "warning"


def test_orphan_deps_absent_excluded_and_private(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root, sources=("ghost", "legacy", "tool"), exclude=["packages/legacy"])
    write_package(root, "packages/app", "app", deps=["ghost>=1", "legacy", "tool"])
    write_package(root, "packages/legacy", "legacy")
    write_package(root, "packages/tool", "tool", private=True)
    write_package(root, "packages/fine", "fine", optional={"dev": ["tool"]})
    found = of(check(root), "orphan_deps")
    assert any(
        "ghost" in f.message and "no workspace member has that name" in f.message for f in found
    )
    assert any(
        "legacy" in f.message and "excluded by [tool.uv.workspace] exclude" in f.message
        for f in found
    )
    private = [f for f in found if "never published" in f.message]
    assert {(f.package, f.severity) for f in private} == {("app", "error"), ("fine", "warning")}
    assert len(found) == 4, [f.message for f in found]


def test_orphan_deps_quiet_for_plain_third_party_and_internal(ws: Path) -> None:
    write_package(ws, "packages/extra", "acme-extra", deps=["requests>=2", "acme-core"])
    assert not of(check(ws), "orphan_deps")


def test_internal_pins_finds_what_publish_would_refuse(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root, sources=("core", "gen"))
    write_package(root, "packages/core", "core", version="1.4.0")
    write_package(root, "packages/gen", "gen")
    manifest = root / "packages/gen/pyproject.toml"
    manifest.write_text(
        manifest.read_text().replace('version = "0.1.0"', 'dynamic = ["version"]'), encoding="utf-8"
    )
    write_package(root, "packages/ok", "ok", deps=["core>=1.2,<2"])
    write_package(root, "packages/old", "old", deps=["core<1.4"], optional={"x": ["core[y]>=2"]})
    write_package(root, "packages/uses-gen", "uses-gen", deps=["gen"])
    write_package(root, "packages/priv", "priv", deps=["core>=9"], private=True)
    found = of(check(root), "internal_pins")
    by = sorted((f.package, f.message) for f in found)
    assert [p for p, _ in by] == ["old", "old", "uses-gen"], by
    assert "'core<1.4' ([project.dependencies])" in by[0][1] and "core 1.4.0 does not satisfy" in by[0][1]
    assert "RK143" in by[1][1] and "optional" in by[1][1]
    assert "dynamic" in by[2][1] and "RK140" in by[2][1]
    assert all(f.severity == "error" for f in found)
    loaded = load_workspace(root)
    with pytest.raises(VersionError) as raised:
        build_plan(loaded, Selection(packages=("old",)))
    assert raised.value.code == "RK143"


def test_missing_license(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/spdx", "spdx")  # license = "Apache-2.0"
    file_only = write_package(root, "packages/fileonly", "fileonly", license=None)
    (file_only / "LICENSE").write_text("MIT\n")
    write_package(root, "packages/none", "none-pkg", license=None)
    write_package(root, "packages/glob", "glob-pkg", extra_project='license-files = ["LICENSES/*"]')
    write_package(
        root,
        "packages/table",
        "table-pkg",
        license=None,
        extra_project='license = { file = "COPYING" }',
    )
    write_package(root, "packages/private", "private-pkg", license=None, private=True)
    found = {f.package: f.message for f in of(check(root), "missing_license")}
    assert set(found) == {"none-pkg", "glob-pkg", "table-pkg"}
    assert "matches no file" in found["glob-pkg"]
    assert "'COPYING' does not exist" in found["table-pkg"]


def test_missing_readme(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/ok", "ok")
    write_package(root, "packages/gone", "gone", write_readme=False)
    undeclared = write_package(root, "packages/undeclared", "undeclared", readme=None)
    (undeclared / "README.md").write_text("# hi\n")
    write_package(root, "packages/none", "none-pkg", readme=None)
    write_package(
        root,
        "packages/inline",
        "inline",
        readme=None,
        extra_project='readme = { text = "hello", content-type = "text/plain" }',
    )
    found = {f.package: f for f in of(check(root), "missing_readme")}
    assert set(found) == {"gone", "undeclared", "none-pkg"}
    assert found["gone"].severity == "error"
    assert found["undeclared"].severity == "warning"
    assert found["none-pkg"].severity == "error"


def test_stale_artifacts_fire_and_fix(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    core = ws / "packages/core"
    (core / "dist").mkdir()
    (core / "dist/acme_core-0.1.0-py3-none-any.whl").write_bytes(b"old")
    (ws / "dist").mkdir()
    (ws / "dist/.gitignore").write_text("*\n")  # what `uv build --out-dir` leaves: not stale
    tmp = core / f".pyproject.toml{TMP_MARK}4242"
    tmp.write_text("half-written")
    (core / "pyproject.toml.bak").write_text("old")
    (core / "pyproject.toml.releasekit-original").write_text("theirs")
    found = {f.file: f for f in of(check(ws), "stale_artifacts")}
    assert set(found) == {
        "packages/core/dist",
        f"packages/core/.pyproject.toml{TMP_MARK}4242",
        "packages/core/pyproject.toml.bak",
        "packages/core/pyproject.toml.releasekit-original",
    }
    assert found["packages/core/pyproject.toml.releasekit-original"].severity == "error"
    assert {f for f, x in found.items() if x.fixable} == {
        "packages/core/dist",
        f"packages/core/.pyproject.toml{TMP_MARK}4242",
    }

    rc, out, _ = in_process(capsys, "-w", str(ws), "check", "--fix")
    assert rc == 1  # the kept original still needs a human
    assert "fixed: removed packages/core/dist (stale_artifacts)" in out
    assert f"fixed: removed packages/core/.pyproject.toml{TMP_MARK}4242 (stale_artifacts)" in out
    assert not (core / "dist").exists() and not tmp.exists()
    assert (core / "pyproject.toml.bak").exists() and (
        core / "pyproject.toml.releasekit-original"
    ).exists()
    assert (ws / "dist/.gitignore").exists()


def test_stale_artifacts_reports_an_unrestored_journal(ws: Path) -> None:
    manifest = ws / "packages/app/pyproject.toml"
    Journal(ws / ".releasekit").rewrite(
        manifest, b"# rewritten\n" + manifest.read_bytes(), "pin for build"
    )
    (finding,) = of(check(ws), "stale_artifacts")
    assert finding.severity == "error" and "pin for build" in finding.message
    assert "releasekit restore" in finding.hint


def test_fix_does_not_follow_a_dist_symlink_out_of_the_workspace(tmp_path: Path) -> None:
    ws = simple_workspace(tmp_path / "ws")
    outside = tmp_path / "precious"
    outside.mkdir()
    (outside / "keep.whl").write_bytes(b"keep")
    (ws / "packages/core/dist").symlink_to(outside, target_is_directory=True)
    report = check(ws, fix=True)
    assert report.changes == ()
    assert (outside / "keep.whl").exists()


# --- Python checks --------------------------------------------------------------------------


def test_type_markers_fire_and_fix(ws: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = ws / "packages/core/src/acme_core/py.typed"
    marker.unlink()
    (finding,) = of(check(ws), "type_markers")
    assert finding.fixable and finding.file == "packages/core/src/acme_core/py.typed"
    assert "Typing :: Typed" in finding.message
    rc, out, _ = in_process(capsys, "-w", str(ws), "check", "--fix", "--format", "json")
    assert rc == 0
    data = json.loads(out)
    assert data["fixed"] == [
        {
            "check": "type_markers",
            "package": "acme-core",
            "path": "packages/core/src/acme_core/py.typed",
            "action": "created",
        }
    ]
    assert data["findings"] == []
    assert marker.is_file()


def test_type_markers_for_stubs_and_not_for_untyped(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    stubs = write_package(root, "packages/stubs", "stubs", typed=False, marker=False)
    (stubs / "src/stubs/api.pyi").write_text("def f() -> int: ...\n")
    write_package(root, "packages/plain", "plain", typed=False, marker=False)
    write_package(root, "packages/lost", "lost", import_name="elsewhere_a", marker=False)
    (root / "packages/lost/src/elsewhere_b").mkdir()
    (root / "packages/lost/src/elsewhere_b/__init__.py").write_text("")
    found = {f.package: f for f in of(check(root), "type_markers")}
    assert set(found) == {"stubs", "lost"}
    assert "ships .pyi stubs" in found["stubs"].message and found["stubs"].severity == "error"
    # hatchling finds no `lost` package: releasekit cannot tell where py.typed belongs, so it warns
    lost = found["lost"]
    assert (lost.severity, lost.fixable, lost.file) == ("warning", False, "packages/lost/pyproject.toml")
    assert "its import packages could not be read (hatchling finds no package named lost" in lost.message
    assert "[project] import-names" in lost.hint and "[tool.releasekit.checks.ignore]" in lost.hint


NAMESPACE_PLUGIN = """[tool.hatch.build.targets.wheel]
only-include = ["src/core/plugins/{x}"]
sources = ["src"]"""


def namespace_workspace(root: Path, *, releasekit: str = "", marker: bool = True) -> Path:
    """core (src/core/__init__.py) plus two plugins shipping core.plugins.<x> (PEP 420 portions)."""
    write_root(root, members=["packages/*", "plugins/*"], releasekit=releasekit)
    write_package(root, "packages/core", "core")
    for x in ("openai", "vertex_ai"):
        write_package(root, f"plugins/{x.replace('_', '-')}", f"core-plugin-{x.replace('_', '-')}",
                      import_name=f"core/plugins/{x}", marker=marker, extra_toml=NAMESPACE_PLUGIN.format(x=x))
    return root


def test_namespace_plugins_with_py_typed_in_the_leaf_are_clean(tmp_path: Path) -> None:
    root = namespace_workspace(tmp_path / "ws")
    assert not (root / "plugins/openai/src/core/__init__.py").exists()
    report = check(root)
    assert of(report, "type_markers") == [] and of(report, "naming_convention") == []
    for pattern in ("core.plugins.{dir_underscored}", "core"):  # a package, or a namespace portion
        config = f'checks = {{ import_name_pattern = "{pattern}" }}'
        write_root(root, members=["packages/*", "plugins/*"], releasekit=config)
        found = of(check(root), "naming_convention")
        assert [f.package for f in found] == (["core"] if pattern == "core.plugins.{dir_underscored}" else [])


def test_namespace_plugin_without_py_typed_is_a_precise_error_fixed_in_the_leaf(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = namespace_workspace(tmp_path / "ws", marker=False)
    (root / "packages/core/src/core/py.typed").write_text("")
    found = of(check(root), "type_markers")
    assert [(f.package, f.severity, f.file, f.fixable) for f in found] == [
        ("core-plugin-openai", "error", "plugins/openai/src/core/plugins/openai/py.typed", True),
        ("core-plugin-vertex-ai", "error", "plugins/vertex-ai/src/core/plugins/vertex_ai/py.typed", True),
    ]
    assert found[0].message == (
        "core-plugin-openai declares 'Typing :: Typed', but its import package core.plugins.openai "
        "(plugins/openai/src/core/plugins/openai, from hatch only-include) has no py.typed, so type "
        "checkers ignore its annotations"
    )
    rc, out, _ = in_process(capsys, "-w", str(root), "check", "--fix", "--format", "json")
    assert rc == 0 and json.loads(out)["findings"] == []
    assert (root / "plugins/openai/src/core/plugins/openai/py.typed").is_file()
    assert not (root / "plugins/openai/src/core/py.typed").exists()
    assert not (root / "plugins/openai/src/core/plugins/py.typed").exists()


def test_version_consistency_uses_configured_groups_only(tmp_path: Path) -> None:
    groups = 'groups = { plugins = ["acme-plugin-*"], other = ["acme-x", "acme-y"] }'
    root = tmp_path / "ws"
    write_root(root, releasekit=groups + '\nlockstep_groups = ["plugins"]')
    write_package(root, "packages/a", "acme-plugin-a", version="1.2.0")
    write_package(root, "packages/b", "acme-plugin-b", version="1.2.0")
    write_package(root, "packages/c", "acme-plugin-c", version="1.1.0")
    write_package(root, "packages/x", "acme-x", version="1.0.0")
    write_package(root, "packages/y", "acme-y", version="2.0.0")
    (finding,) = of(check(root), "version_consistency")
    assert finding.package == "acme-plugin-c"
    assert (
        finding.message
        == "acme-plugin-c is at 1.1.0, but group 'plugins' is at 1.2.0 "
        "(acme-plugin-a, acme-plugin-b)"
    )
    text = (
        (root / "pyproject.toml")
        .read_text()
        .replace('lockstep_groups = ["plugins"]', 'checks = { version_groups = ["other"] }')
    )
    (root / "pyproject.toml").write_text(text)
    (finding,) = of(check(root), "version_consistency")
    assert finding.package == "acme-x"  # tie: the highest version is the reference


def test_naming_convention_patterns_from_config(tmp_path: Path) -> None:
    config = (
        'checks = { naming_pattern = "^acme-", '
        'directory_naming = { "plugins/*" = "acme-plugin-{dir}" }, '
        'import_name_pattern = "acme.{dir_underscored}" }'
    )
    ship = '[tool.hatch.build.targets.wheel]\npackages = ["src/{top}"]'
    root = tmp_path / "ws"
    write_root(root, members=["plugins/*"], releasekit=config)
    for relpath, name, module in [
        ("plugins/web-ui", "acme-plugin-web-ui", "acme/web_ui"),
        ("plugins/db", "acme-plugin-database", "acme/db"),
        ("plugins/rogue", "rogue", "acme/rogue"),
        ("plugins/lost", "acme-plugin-lost", "lost"),
    ]:
        write_package(root, relpath, name, import_name=module, extra_toml=ship.format(top=module.split("/")[0]))
    write_package(root, "plugins/odd", "acme-plugin-odd", import_name="elsewhere")  # hatch finds nothing
    found = [(f.package, f.severity, f.message) for f in of(check(root), "naming_convention")]
    assert (
        "rogue",
        "error",
        "distribution name 'rogue' does not match naming_pattern '^acme-'",
    ) in found
    assert any(
        p == "acme-plugin-database" and "should hold 'acme-plugin-db'" in m for p, _, m in found
    )
    assert any(p == "rogue" and "should hold 'acme-plugin-rogue'" in m for p, _, m in found)
    assert (
        "acme-plugin-lost",
        "warning",
        "import package 'acme.lost' (import_name_pattern 'acme.{dir_underscored}') is not what "
        "acme-plugin-lost ships: lost (read from hatch packages)",
    ) in found
    assert any(
        p == "acme-plugin-odd" and s == "warning" and "import_name_pattern asks for 'acme.odd', but its "
        "import packages could not be read (hatchling finds no package" in m
        for p, s, m in found
    )
    assert not [f for f in found if f[0] == "acme-plugin-web-ui"]
    assert len(found) == 5


def test_naming_convention_does_not_check_import_names_by_default(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/whatever", "anything-goes")
    write_package(root, "packages/pil", "pillowish", import_name="PIL")
    assert of(check(root), "naming_convention") == []


def test_metadata_completeness(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    write_root(root)
    write_package(root, "packages/full", "full")
    bare = write_package(root, "packages/bare", "bare", license=None, classifiers=(), typed=False)
    text = (bare / "pyproject.toml").read_text()
    text = text.replace('description = "The bare package."\n', "").replace(
        'requires-python = ">=3.9"\n', ""
    )
    (bare / "pyproject.toml").write_text(text + "")
    (bare / "LICENSE").write_text("MIT")
    (finding,) = of(check(root), "metadata_completeness")
    assert finding.package == "bare" and finding.severity == "warning"
    assert finding.message == "[project] has no description, license, requires-python, classifiers"


# --- another language plugs in --------------------------------------------------------------


class ChangelogBackend:
    """A toy second backend: every package keeps a CHANGES.md (another ecosystem's habit)."""

    name = "changelog"

    def checks(self) -> Sequence[CheckInfo]:
        return (CheckInfo("changes_file", "every package has CHANGES.md", fixable=True),)

    def run(self, check_id: str, ctx: CheckContext) -> Iterable[Finding]:
        for pkg in ctx.ws.packages:
            if not (pkg.path / "CHANGES.md").exists():
                yield Finding(
                    check_id,
                    "error",
                    pkg.name,
                    ctx.rel(pkg.path / "CHANGES.md"),
                    "no CHANGES.md",
                    "write one",
                    fixable=True,
                )

    def fix(self, finding: Finding, ctx: CheckContext) -> Sequence[Change]:
        assert finding.file is not None
        (ctx.ws.root / finding.file).write_text("# Changes\n")
        return [Change(finding.check, finding.package, finding.file, "created")]


def test_a_second_backend_plugs_in_without_touching_the_runner(tmp_path: Path) -> None:
    root = simple_workspace(
        tmp_path / "ws", releasekit='checks = { ignore = { acme-app = ["changes_file"] } }'
    )
    backend = ChangelogBackend()
    assert isinstance(backend, CheckBackend)
    backends = [*default_backends(), backend]
    ws = load_workspace(root)
    report = run_checks(ws, backends)
    assert [(f.check, f.package) for f in report.findings] == [("changes_file", "acme-core")]
    assert [f.package for f in report.ignored] == ["acme-app"]
    assert not report.ok
    assert run_checks(ws, backends, skip=["changes_file"]).ok
    fixed = run_checks(ws, backends, fix=True)
    assert fixed.ok and [c.path for c in fixed.changes] == ["packages/core/CHANGES.md"]
    with pytest.raises(ValueError, match="offered by both"):
        run_checks(ws, [*backends, ChangelogBackend()])


def test_doit_runs_the_check_task_and_fails_it_on_errors(ws: Path, tmp_path: Path) -> None:
    """What the doit loader's `check` task does: a module-level function with a str argument."""
    from doit.cmd_base import ModuleTaskLoader
    from doit.doit_cmd import DoitMain

    def task_check() -> dict[str, object]:
        return {"actions": [(run_for_doit, [str(ws)])], "uptodate": [False]}

    config = {"dep_file": str(tmp_path / "doit.json"), "backend": "json", "verbosity": 0}
    loader = ModuleTaskLoader({"task_check": task_check, "DOIT_CONFIG": config})
    # doit's default output stream is the sys.stdout of its import time (maybe a closed capture).
    out = ["--output-file", str(tmp_path / "doit.out"), "check"]
    assert DoitMain(loader).run(out) == 0
    (ws / "packages/core/README.md").unlink()
    assert DoitMain(loader).run(out) == 1
    assert "check" in (tmp_path / "doit.out").read_text()


def test_doit_function_survives_spawn(ws: Path) -> None:
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(run_for_doit, (str(ws),)) is True


def test_a_running_release_owns_its_rewrites(ws: Path) -> None:
    """Journal entries of a live run are not "stale": one warning, not errors."""
    manifest = ws / "packages/app/pyproject.toml"
    Journal(ws / ".releasekit").rewrite(manifest, b"# pinned\n" + manifest.read_bytes(), "pin")
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (ws / ".releasekit/lock").write_text(json.dumps({"pid": sleeper.pid, "command": "publish"}))
        (finding,) = of(check(ws), "stale_artifacts")
        assert finding.severity == "warning"
        assert f"`releasekit publish` (pid {sleeper.pid}) is running" in finding.message
    finally:
        sleeper.kill()
        sleeper.wait()
    (finding,) = of(check(ws), "stale_artifacts")  # the holder is gone: now they are stale
    assert finding.severity == "error"
