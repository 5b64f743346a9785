"""The dependency graph: levels, order, cycles with their path, critical path, renderings."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from releasekit.errors import GraphError
from releasekit.model import graphviews
from releasekit.model.depgraph import Edge, WorkspaceGraph, workspace_graph
from releasekit.model.graph import Graph
from releasekit.model.selection import Selection, select
from releasekit.model.workspace import load_workspace
from tests.harness.cli import run_cli
from tests.harness.workspace import EXAMPLE, make_ws, member_toml


@pytest.fixture(scope="module")
def example() -> Graph:
    return workspace_graph(load_workspace(EXAMPLE)).order


def test_example_levels_and_order(example: Graph) -> None:
    assert example.levels == [
        ["acme-core", "acme-log"],
        ["acme-devtool", "acme-http", "acme-store"],
        ["acme-api"],
        ["acme-cli"],
    ]
    order = example.order()
    for node, deps in example.deps.items():
        for dep in deps:
            assert order.index(dep) < order.index(node)
    assert example.level_of["acme-api"] == 2
    assert example.edge_count == 8


def test_example_dependents(example: Graph) -> None:
    assert example.dependents["acme-core"] == ("acme-devtool", "acme-http", "acme-store")
    assert example.dependents["acme-cli"] == ()


def test_example_critical_path(example: Graph) -> None:
    path, weight = example.critical_path()
    assert path == ["acme-core", "acme-store", "acme-api", "acme-cli"] and weight == 4.0
    # Weights move the critical path: a slow http build makes it the bottleneck.
    path, weight = example.critical_path({"acme-http": 10.0})
    assert path[1:] == ["acme-http", "acme-api", "acme-cli"] and weight == 13.0
    assert path[0] in ("acme-core", "acme-log")  # equal weights: either is a heaviest chain


def test_build_drops_self_edges_and_unknown_nodes() -> None:
    g = Graph.build({"a": ["a", "b", "zzz"], "b": []})
    assert g.deps == {"a": ("b",), "b": ()}
    assert g.find_cycle() is None


def test_empty_graph() -> None:
    g = Graph.build({})
    assert g.levels == [] and g.order() == [] and g.critical_path() == ([], 0.0)
    assert g.find_cycle() is None


def test_level_is_the_longest_chain() -> None:
    # d depends on a directly and through b -> c: its level is 3, not 1.
    g = Graph.build({"a": [], "b": ["a"], "c": ["b"], "d": ["a", "c"]})
    assert g.level_of == {"a": 0, "b": 1, "c": 2, "d": 3}


@pytest.mark.parametrize(
    ("deps", "cycle"),
    [
        ({"a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"a": ["b"], "b": ["c"], "c": ["a"]}, ["a", "b", "c", "a"]),
        ({"x": ["a"], "a": ["b"], "b": ["a"]}, ["a", "b", "a"]),
        ({"a": [], "b": ["c"], "c": ["d"], "d": ["b"], "e": ["b"]}, ["b", "c", "d", "b"]),
    ],
)
def test_cycle_has_its_full_path(deps: dict[str, list[str]], cycle: list[str]) -> None:
    g = Graph.build(deps)
    assert g.find_cycle() == cycle
    with pytest.raises(GraphError) as info:
        g.require_acyclic()
    assert info.value.code == "RK107"
    assert info.value.message == "dependency cycle: " + " -> ".join(cycle)
    with pytest.raises(GraphError):
        _ = g.levels


def test_a_cycle_through_an_extra_is_drawn_and_never_refused(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("a", deps=["b"]),
            "packages/b": member_toml("b", optional={"extra": ["a[x]>=1; os_name == 'nt'"]}),
        },
    )
    result = run_cli("graph", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "level 0: b 1.0.0\n"
        "level 1: a 1.0.0\n"
        "extras of b point back at packages that depend on it (not a cycle, an extra never gates): [extra] a\n"
    )
    plan = run_cli("plan", "--format", "json", cwd=tmp_path)
    assert plan.returncode == 0, plan.stderr
    packages = {p["name"]: p for p in json.loads(plan.stdout)["packages"]}
    assert [p["name"] for p in json.loads(plan.stdout)["packages"]] == ["b", "a"]
    assert packages["b"]["pins"] == {"a": "1.0.0"} and packages["b"]["deps"] == []
    assert packages["a"]["pins"] == {"b": "1.0.0"} and packages["a"]["deps"] == ["b"]


def test_a_dependency_cycle_is_drawn_but_refused_naming_every_edge(tmp_path: Path) -> None:
    make_ws(
        tmp_path,
        {
            "packages/a": member_toml("a", deps=["b"]),
            "packages/b": member_toml("b", deps=["a>=1"]),
            "packages/c": member_toml("c", deps=["a"]),
        },
    )
    drawn = run_cli("graph", "--format", "json", cwd=tmp_path)
    assert drawn.returncode == 0, drawn.stderr
    data = json.loads(drawn.stdout)
    assert data["cycles"] == [["a", "b", "a"]]
    assert data["levels"] == [["a", "b"], ["c"]]
    for command in (("plan",), ("publish", "--dry-run"), ("preflight", "--offline")):
        result = run_cli(*command, cwd=tmp_path)
        assert result.returncode == 2, (command, result.stderr)
        assert result.stderr.strip().splitlines()[-1] == (
            "error[RK107] packages/a/pyproject.toml: dependency cycle: a -> b -> a "
            "(a -> b: packages/a/pyproject.toml [project.dependencies] 'b'; "
            "b -> a: packages/b/pyproject.toml [project.dependencies] 'a>=1') "
            "(hint: a package cannot be published before its own dependencies: remove one of these "
            "requirements, move it to an extra ([project.optional-dependencies]), or move the shared "
            "code into a new package)"
        ), command
    refused = run_cli("publish", "--skip-preflight", "no_cycles", cwd=tmp_path)
    assert refused.returncode == 2 and "error[RK152]" in refused.stderr
    assert "cannot be skipped" in refused.stderr


def test_selection() -> None:
    ws = load_workspace(EXAMPLE)
    example = workspace_graph(ws)
    assert select(ws, example, Selection(packages=("acme-http",))) == {"acme-http"}
    assert select(ws, example, Selection(packages=("acme-http",), with_deps=True)) == {
        "acme-http",
        "acme-core",
        "acme-log",
    }
    # acme-api reaches acme-log only through its `tracing` extra: pinned, so a dependency...
    assert select(ws, example, Selection(packages=("acme-api",), with_deps=True)) >= {"acme-log"}
    # ...but an extra's pin never makes its dependent release.
    assert select(ws, example, Selection(packages=("acme-log",), with_dependents=True)) == {
        "acme-log", "acme-http", "acme-api", "acme-cli"}
    assert select(ws, example, Selection(packages=("acme-store",), with_dependents=True)) == {
        "acme-store",
        "acme-api",
        "acme-cli",
    }
    assert select(ws, example, Selection(groups=("foundation",))) == {"acme-core", "acme-log"}
    assert select(ws, example, Selection(groups=("foundation",), with_dependents=True)) == {
        p.name for p in ws.packages
    }
    assert select(ws, example, Selection()) == {p.name for p in ws.packages}
    # Both directions: dependencies first, then everything that depends on the result.
    both = select(
        ws, example, Selection(packages=("acme-api",), with_deps=True, with_dependents=True)
    )
    assert both == {
        "acme-api",
        "acme-http",
        "acme-store",
        "acme-core",
        "acme-log",
        "acme-cli",
        "acme-devtool",
    }


def test_subgraph_keeps_only_inner_edges(example: Graph) -> None:
    sub = example.subgraph({"acme-api", "acme-http", "acme-cli"})
    assert sub.deps == {"acme-api": ("acme-http",), "acme-cli": ("acme-api",), "acme-http": ()}
    assert sub.levels == [["acme-http"], ["acme-api"], ["acme-cli"]]


# --- deep chains ---------------------------------------------------------------------------


def _chain(n: int) -> dict[str, list[str]]:
    return {f"p{i:05d}": [f"p{i - 1:05d}"] if i else [] for i in range(n)}


def test_deep_chain_has_no_recursion_limit() -> None:
    g = Graph.build(_chain(2000))
    assert len(g.levels) == 2000
    assert g.find_cycle() is None
    path, weight = g.critical_path()
    assert len(path) == 2000 and weight == 2000.0
    assert len(g.with_dependents(["p00000"])) == 2000
    assert len(g.with_dependencies(["p01999"])) == 2000


def test_deep_cycle_path() -> None:
    deps = _chain(2000)
    deps["p00000"] = ["p01999"]
    cycle = Graph.build(deps).find_cycle()
    assert cycle is not None and len(cycle) == 2001 and cycle[0] == cycle[-1]


class _FakePackage:
    version = "1.0"


class _FakeWorkspace:
    def __init__(self, names: list[str]) -> None:
        self.by_name = dict.fromkeys(names, _FakePackage())


def _edges_of(deps: dict[str, list[str]]) -> WorkspaceGraph:
    return WorkspaceGraph(
        nodes=tuple(deps),
        edges=tuple(Edge(n, d, "dependency", d, "x/pyproject.toml", "[project.dependencies]")
                    for n, ds in deps.items() for d in ds),
    )


@pytest.mark.parametrize("fmt", graphviews.GRAPH_FORMATS)
def test_every_format_renders_a_deep_chain(fmt: str) -> None:
    deps = _chain(2000)
    fake = _FakeWorkspace(list(deps))
    out = graphviews.render(graphviews.view(fake, _edges_of(deps), deps), fmt)  # type: ignore[arg-type]
    assert "p01999" in out


# --- renderings ----------------------------------------------------------------------------

_DOT_LINE = re.compile(
    r'^(digraph workspace \{|\}|  rankdir=BT;|  node \[shape=box, fontname="Helvetica"\];'
    r'|  \{ rank=same;( "[a-z0-9.-]+")+ \}  // level \d+'
    r'|  "[a-z0-9.-]+" \[label="[a-z0-9.-]+ [^"]+"\];'
    r'|  "[a-z0-9.-]+" -> "[a-z0-9.-]+"( \[style=dashed, label="extra [a-z]+"\])?;)$'
)


def _graph_out(fmt: str, *extra: str, columns: int | None = None) -> str:
    env = {"COLUMNS": str(columns)} if columns else None
    result = run_cli("graph", "--format", fmt, *extra, cwd=EXAMPLE, env=env)
    assert result.returncode == 0 and result.stderr == ""
    return result.stdout


def test_format_levels() -> None:
    assert _graph_out("levels") == (
        "level 0: acme-core 0.3.0, acme-log 0.3.0\n"
        "level 1: acme-devtool 0.1.0, acme-http 0.3.0, acme-store 0.3.0\n"
        "level 2: acme-api 0.3.0\n"
        "level 3: acme-cli 0.3.0\n"
    )


def test_format_json(example: Graph) -> None:
    data = json.loads(_graph_out("json"))
    assert [n["name"] for n in data["nodes"]] == example.order()
    assert data["levels"] == example.levels
    assert data["critical_path"] == ["acme-core", "acme-store", "acme-api", "acme-cli"]
    assert sorted((e["from"], e["to"]) for e in data["edges"]) == sorted(
        (n, d) for n, deps in example.deps.items() for d in deps
    )
    kinds = {(e["from"], e["to"]): e["kind"] for e in data["edges"]}
    assert kinds[("acme-api", "acme-log")] == "extra:tracing"
    assert kinds[("acme-api", "acme-store")] == "dependency"
    tracing = next(e for e in data["edges"] if e["kind"] == "extra:tracing")
    assert tracing["file"] == "packages/api/pyproject.toml"
    assert tracing["table"] == "[project.optional-dependencies] tracing"
    assert data["cycles"] == [] and data["extra_cycles"] == []
    api = next(n for n in data["nodes"] if n["name"] == "acme-api")
    assert api == {
        "name": "acme-api",
        "version": "0.3.0",
        "level": 2,
        "deps": ["acme-http", "acme-store"],
        "extra_deps": ["acme-log"],
        "dependents": ["acme-cli"],
    }


def test_format_dot_is_syntactically_sane(example: Graph) -> None:
    out = _graph_out("dot")
    lines = out.splitlines()
    assert lines[0] == "digraph workspace {" and lines[-1] == "}"
    for line in lines:
        assert _DOT_LINE.match(line), line
    assert out.count("{") == out.count("}")
    edges = re.findall(r'^  "([^"]+)" -> "([^"]+)"[^\n]*;$', out, re.M)
    assert '"acme-api" -> "acme-log" [style=dashed, label="extra tracing"];' in out
    assert sorted(edges) == sorted((n, d) for n, deps in example.deps.items() for d in deps)


def test_format_mermaid_is_syntactically_sane(example: Graph) -> None:
    out = _graph_out("mermaid")
    lines = out.splitlines()
    assert lines[0] == "graph BT"
    ids: dict[str, str] = {}
    edges = []
    for line in lines[1:]:
        node = re.fullmatch(r'  (n\d+)\["([a-z0-9.-]+) [^"\]]+"\]', line)
        edge = re.fullmatch(r"  (n\d+) (?:-->|-\. extra tracing \.->) (n\d+)", line)
        assert node or edge, line
        if node:
            ids[node.group(1)] = node.group(2)
        elif edge:
            edges.append((ids[edge.group(1)], ids[edge.group(2)]))
    assert sorted(ids.values()) == sorted(example.deps)
    assert sorted(edges) == sorted((n, d) for n, deps in example.deps.items() for d in deps)


def test_format_table_fits_100_columns_and_elides_lists() -> None:
    out = _graph_out("table")
    assert max(len(line) for line in out.splitlines()) <= 100
    assert re.search(r"^2 +acme-api +0\.3\.0 +acme-http, … \+2 +acme-cli$", out, re.M)


def test_format_table() -> None:
    out = _graph_out("table", columns=200)
    assert out.splitlines()[0].split() == [
        "level",
        "package",
        "version",
        "depends",
        "on",
        "needed",
        "by",
    ]
    assert re.search(
        r"^2 +acme-api +0\.3\.0 +acme-http, acme-log \[tracing\], acme-store +acme-cli$", out, re.M
    )


def test_format_ascii() -> None:
    out = _graph_out("ascii")
    assert out.splitlines()[:3] == [
        "acme-core 0.3.0",
        "├── acme-devtool 0.1.0",
        "├── acme-http 0.3.0",
    ]
    assert "(see above)" in out
    for name in ("acme-api", "acme-cli", "acme-log", "acme-store"):
        assert name in out


def test_graph_selection_on_the_cli() -> None:
    out = _graph_out("levels", "-p", "acme-api", "--with-deps")
    assert out == (
        "level 0: acme-core 0.3.0, acme-log 0.3.0\n"
        "level 1: acme-http 0.3.0, acme-store 0.3.0\n"
        "level 2: acme-api 0.3.0\n"
    )
    assert _graph_out("levels", "-g", "foundation") == "level 0: acme-core 0.3.0, acme-log 0.3.0\n"
