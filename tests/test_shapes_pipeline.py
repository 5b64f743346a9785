"""Every shape of the corpus through the real CLI: discover, graph, check, preflight, plan, and
``publish --rehearse`` of the composites (the only tests here that build: marked slow).

These state the behaviour real workspaces need (notes/real-workspaces.md, DESIGN.md "What
real workspaces add"); the expectations come from each shape's own description (tests/shapes),
never from what releasekit prints today.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.harness.gitrepo import git_out
from tests.harness.index import LocalIndex
from tests.harness.tree import tree_hash
from tests.shapes import COMPOSITES, RECIPES, Shape
from tests.shapes.fixtures import Releasekit, ShapeFactory
from tests.shapes.layout import CORE
from tests.shapes.plugins import BROKEN_MODULE, MISSING_MODULE
from tests.shapes.tree import STALE_MEMBER, TEMPLATE_DIR, TEST_UTILS, UNRELATED_MEMBER

Shapes = Callable[[str], Shape]
ALL = sorted(RECIPES)
STALE = "stale-pin"
PLANNABLE = [name for name in ALL if name != STALE]
GRAPH_FORMATS = ("levels", "json", "dot", "mermaid", "table", "ascii")
#: Findings about a package's fitness for an index: never for a member that is not published.
PUBLISH_CHECKS = {"missing_license", "missing_readme", "metadata_completeness", "type_markers",
                  "naming_convention", "internal_pins", "orphan_deps"}
#: What the reason for not publishing must say, by what opted the member out.
WHY_NOT = {"exclude": ("exclude", "samples/*"), "publish = false": ("publish = false",),
           "private": ("Private :: Do Not Upload",)}
BATTERIES = ["batteries", "composite-plugins", "large"]
GROUP_LOOPS = ["group-loop", "dev-dependency-loop", "composite-plugins", "composite-backends", "large"]


def out(rk: Releasekit, cwd: Path, *args: str, **env: str) -> str:
    """stdout of a `releasekit ARGS` that must succeed."""
    run = rk(cwd, *args, **env)
    assert run.returncode == 0, f"releasekit {' '.join(args)} exited {run.returncode}:\n{run.stderr}"
    return run.stdout


def out_json(rk: Releasekit, cwd: Path, *args: str) -> Any:
    return json.loads(out(rk, cwd, *args, "--format", "json"))


def edges_of(graph: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(from, to, kind) of `graph --format json`, whose edges must be objects of those keys."""
    shapes = [e for e in graph["edges"] if not (isinstance(e, dict) and set(e) >= {"from", "to", "kind"})]
    assert shapes == [], f"edges must be objects with 'from', 'to', 'kind', got e.g. {shapes[:3]}"
    return {(e["from"], e["to"], e["kind"]) for e in graph["edges"]}


def named(name: str, text: str) -> bool:
    """``name`` appears as a whole package name (core is not found inside core-io)."""
    return re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text) is not None


def assert_says_why(reason: str, why_not: str) -> None:
    assert all(word in reason for word in WHY_NOT[why_not]), reason


# --- discover -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_discover_shows_every_member_and_marks_the_unpublished(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    table = out(rk, shape.root, "discover")
    packages = {p["name"]: p for p in out_json(rk, shape.root, "discover")["packages"]}
    assert sorted(packages) == sorted(shape.expected)
    for member in shape.expected.values():
        assert packages[member.name]["released"] is member.publish, member.name
        row = re.search(rf"^{re.escape(member.name)} .*$", table, re.M)
        assert row and row.group(0).rstrip().endswith(" publish") is member.publish, row
        if not member.publish:
            assert_says_why(packages[member.name]["unreleased_reason"] or "", member.why_not)


@pytest.mark.parametrize("name", ["template", "composite-plugins"])
def test_discover_from_inside_a_template_finds_the_workspace_above(name: str, shapes: Shapes,
                                                                    rk: Releasekit) -> None:
    shape = shapes(name)
    data = out_json(rk, shape.root / TEMPLATE_DIR, "discover")
    assert data["workspace"] == str(shape.root.resolve())
    assert sorted(p["name"] for p in data["packages"]) == sorted(shape.expected)


# --- graph ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_graph_draws_every_edge_with_its_kind(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    for fmt in GRAPH_FORMATS:
        out(rk, shape.root, "graph", "--format", fmt)
    data = out_json(rk, shape.root, "graph")
    assert sorted(n["name"] for n in data["nodes"]) == sorted(shape.expected)
    drawn = edges_of(data)
    expected = shape.edges()
    # Every edge has a kind its requirement gives it (two extras naming one target may share one edge)...
    assert drawn - expected == set()
    # ...and every internal requirement is drawn, including those only the build backend knows.
    assert {(f, t) for f, t, _ in drawn} == {(f, t) for f, t, _ in expected}


@pytest.mark.parametrize("name", BATTERIES)
def test_a_batteries_extra_is_drawn_marked_and_is_no_cycle(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    data = out_json(rk, shape.root, "graph")
    assert CORE in data["levels"][0]
    kinds = {kind for f, _, kind in edges_of(data) if f == CORE}
    assert kinds and kinds <= {"extra:openai", "extra:all"}, kinds
    for fmt in ("dot", "mermaid"):
        assert "extra" in out(rk, shape.root, "graph", "--format", fmt), f"{fmt} does not mark the extra"
    check = json.loads(rk(shape.root, "check", "--format", "json").stdout)
    for finding in (f for f in check["findings"] if f["check"] == "cycles"):
        assert finding["severity"] == "warning", finding
        assert finding["file"] == shape.pending[CORE].relpath + "/pyproject.toml", finding
        assert "extra" in finding["message"] and re.search(r"\b(openai|all)\b", finding["message"]), finding


@pytest.mark.parametrize("name", GROUP_LOOPS)
def test_development_groups_are_never_edges(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    data = out_json(rk, shape.root, "graph")
    assert [e for e in edges_of(data) if e[:2] == (CORE, TEST_UTILS)] == []
    levels = {member: level for level, members in enumerate(data["levels"]) for member in members}
    assert levels[CORE] < levels[TEST_UTILS]


# --- check ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL)
def test_check_finds_only_the_shapes_real_problems(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    run = rk(shape.root, "check", "--format", "json")
    data = json.loads(run.stdout or "{}")
    assert "findings" in data, run.stderr
    findings = data["findings"]
    errors = [f for f in findings if f["severity"] == "error"]
    if name == STALE:
        assert [(f["check"], f["package"], f["file"]) for f in errors] == [
            ("internal_pins", STALE_MEMBER, shape.pending[STALE_MEMBER].relpath + "/pyproject.toml")]
        assert run.returncode == 1
    else:
        assert errors == [] and run.returncode == 0, errors
    # Namespace plugins, setuptools find, uv_build module-name: each import package is found.
    assert [f for f in findings if f["check"] in ("type_markers", "naming_convention")] == []
    unpublished = {m.name for m in shape.expected.values() if not m.publish}
    assert [f for f in findings if f["package"] in unpublished and f["check"] in PUBLISH_CHECKS] == []
    warnings = [f["message"] for f in findings if f["severity"] == "warning"]
    for source in shape.unused_sources:
        assert [m for m in warnings if named(source, m) and "source" in m], f"no warning about {source}"
    for source in set(shape.root_sources()) - set(shape.unused_sources):
        assert [m for m in warnings if named(source, m) and "[tool.uv.sources]" in m] == []


# --- preflight ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PLANNABLE)
def test_preflight_passes_offline(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    run = rk(shape.root, "preflight", "--offline", "--format", "json")
    assert run.returncode == 0, run.stdout + run.stderr


# --- plan -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", PLANNABLE)
def test_plan_versions_pins_order_and_skips(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    out(rk, shape.root, "plan")
    data = out_json(rk, shape.root, "plan")
    expected = shape.expected
    order = [p["name"] for p in data["packages"]]
    assert sorted(order) == shape.publishable
    edges = shape.edges()
    for package in data["packages"]:
        member = expected[package["name"]]
        # The version the build backend computes: a tag's, a file's, a hook's.
        assert (package["name"], package["version"]) == (member.name, member.version)
        # Every internal requirement, extras' targets too, is pinned to that target's version.
        pins = {to: expected[to].version for f, to, _ in edges if f == member.name}
        assert package["pins"] == pins, member.name
    position = {name: index for index, name in enumerate(order)}
    for dependent, dependency, kind in edges:
        if kind == "dependency" and dependent in position and dependency in position:
            assert position[dependency] < position[dependent], f"{dependent} planned before {dependency}"
    skipped = {s["name"]: s["reason"] for s in data["skipped"]}
    assert sorted(skipped) == sorted(n for n, m in expected.items() if not m.publish)
    for skipped_name, reason in skipped.items():
        assert_says_why(reason, expected[skipped_name].why_not)


@pytest.mark.parametrize("name", PLANNABLE)
def test_plan_from_commits(name: str, shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(name)
    data = out_json(rk, shape.root, "plan", "--from-commits")
    assert {p["name"] for p in data["packages"]} <= set(shape.publishable)


def test_a_stale_pin_stops_its_member_but_not_an_unrelated_release(shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes(STALE)
    file = shape.pending[STALE_MEMBER].relpath + "/pyproject.toml"
    plan = rk(shape.root, "plan")
    assert plan.returncode == 2
    [line] = [line for line in plan.err_lines if line.startswith("error[")]
    assert line.startswith("error[RK143]") and file in line, line
    preflight = rk(shape.root, "preflight", "--offline")
    assert preflight.returncode != 0 and line in preflight.err_lines, preflight.stderr
    # A release of util alone does not touch core-legacy, so nothing stops it.
    only_util = out_json(rk, shape.root, "plan", "-p", UNRELATED_MEMBER)
    assert [p["name"] for p in only_util["packages"]] == [UNRELATED_MEMBER]
    out(rk, shape.root, "plan", "-p", UNRELATED_MEMBER, "--from-commits")
    out(rk, shape.root, "preflight", "-p", UNRELATED_MEMBER, "--offline")


# --- size -----------------------------------------------------------------------------------

def test_sixty_members_render_within_100_columns(shapes: Shapes, rk: Releasekit) -> None:
    shape = shapes("large")
    assert len(shape.expected) == 60 and max(map(len, shape.expected)) == 40
    graph = out_json(rk, shape.root, "graph")
    assert len(graph["levels"]) == 5 and len(graph["critical_path"]) == 5
    core = next(n for n in graph["nodes"] if n["name"] == CORE)
    assert len(core["dependents"]) >= 30
    for args in (("discover",), ("graph", "--format", "table"), ("graph", "--format", "levels"),
                 ("graph", "--format", "ascii"), ("plan",)):
        text = out(rk, shape.root, *args, COLUMNS="100")
        wide = [line for line in text.splitlines() if len(line) > 100]
        assert wide == [], f"{' '.join(args)}: {len(wide)} lines wider than 100 columns, e.g. {wide[0]!r}"


# --- publish --rehearse ---------------------------------------------------------------------

def pyprojects(root: Path) -> dict[str, str]:
    files = tree_hash(root, skip=(".git",), dirs=False)
    return {rel: sha for rel, sha in files.items() if rel.rsplit("/", 1)[-1] == "pyproject.toml"}


@pytest.mark.slow
@pytest.mark.parametrize("name", COMPOSITES)
def test_rehearsal_publishes_everything_that_works(name: str, fresh_shape: ShapeFactory, rk: Releasekit,
                                                   shape_index: LocalIndex) -> None:
    shape = fresh_shape(name)
    before = pyprojects(shape.root)
    # Third-party requirements (packaging) come from the local index, like PyPI behind a real one.
    run = rk(shape.root, "publish", "--rehearse", "--fallback-url", shape_index.simple_url,
             "--poll-timeout", "60", "--retry-base-delay", "0.2", "-j", "2", timeout=900)
    broken = {m.name: m for m in shape.expected.values() if m.broken}
    assert run.returncode == (1 if broken else 0), run.stdout + run.stderr
    summary = json.loads((shape.root / ".releasekit" / "last-run.json").read_text(encoding="utf-8"))
    results = {p["name"]: p for p in summary["packages"]}
    assert sorted(results) == shape.publishable
    for member, result in results.items():
        assert result["version"] == shape.expected[member].version, result
        if member in broken:
            # The staged gate installs and imports every package before any upload...
            assert (result["status"], result["stage"]) == ("failed", "trial"), result
            assert "ModuleNotFoundError" in result["message"], result
            assert BROKEN_MODULE in result["message"] or MISSING_MODULE in result["message"], result
        elif broken:
            # ...so one broken package stops the whole release with nothing uploaded.
            assert result["status"] == "blocked" and "staged gate" in result["message"], result
        else:
            assert result["status"] == "published", result
    assert "Task queue depth" not in run.stderr  # the throwaway indexes never write to the terminal
    assert git_out(shape.root, "status", "--porcelain") == ""
    assert pyprojects(shape.root) == before
