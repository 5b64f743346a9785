"""The bad-input corpus: broken workspaces and configurations, as data.

Every case is a builder that writes a workspace into an empty directory, the error code
releasekit must answer with, and a piece of text the one-line message must contain. The
corpus is the 31 cases of ``tests/test_bad_input.py`` (run there through discover, graph,
plan, bump and init) plus the cases below; ``test_bad_input_corpus.py`` runs all of them
through ``plan``, ``publish --dry-run`` and ``check``.

Most new cases are a set of files laid over a small valid workspace (``a`` and ``b``, where
``b`` depends on ``a``); the rest (FIFOs, symlinks, device files) need a function.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.harness.workspace import make_ws, member_toml, root_toml, write_tree
from tests.test_bad_input import CASES as CLI_CASES

Builder = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    build: Builder
    code: str
    needle: str
    #: How `check` treats it. "error": like plan (exit 2, one line). "finding": a health
    #: finding (exit 1) whose report contains ``needle``. "other": a release-plan problem that
    #: is not a health check's business (check must only neither crash nor write).
    check: str = "error"
    #: The build backend was asked (a dynamic member): its answer is cached in the state
    #: directory, which ignores itself in git. Nothing else may change.
    asks_backend: bool = False


def base(root: Path) -> None:
    make_ws(root, {"packages/a": member_toml("a"), "packages/b": member_toml("b", deps=["a>=1"])})


def files(layer: Mapping[str, str | bytes]) -> Builder:
    def build(root: Path) -> None:
        base(root)
        write_tree(root, layer)

    return build


def ws(packages: Mapping[str, str], root_text: str | None = None) -> Builder:
    def build(root: Path) -> None:
        make_ws(root, packages, root_text)

    return build


def _replaced_by(make: Callable[[Path], None], rel: str = "packages/a/pyproject.toml") -> Builder:
    def build(root: Path) -> None:
        base(root)
        (root / rel).unlink()
        make(root / rel)

    return build


CONFIG = root_toml() + "\n[tool.releasekit]\n"
A = "packages/a/pyproject.toml"
ROOT = "pyproject.toml"


def member(text: str | bytes) -> Builder:
    return files({A: text})


def config(text: str) -> Builder:
    return files({ROOT: CONFIG + text})


NEW_CASES: dict[str, Case] = {
    # --- TOML and encodings -------------------------------------------------------------
    "root-toml-not-utf8": Case(files({ROOT: root_toml().encode() + b"# \xff\xfe\n"}), "RK103", "UTF-8"),
    "duplicate-toml-key": Case(member('[project]\nname = "a"\nversion = "1.0"\nversion = "2.0"\n'),
                               "RK101", "packages/a/pyproject.toml:4:"),
    "nul-byte-in-toml": Case(member('[project]\nname = "a"\nversion = "1.0"\n# \x00\n'), "RK101", "invalid TOML"),
    "deeply-nested-arrays": Case(member(member_toml("a") + "x = " + "[" * 100_000 + "]" * 100_000 + "\n"),
                                 "RK101", "nesting too deep"),
    "deeply-nested-inline-tables": Case(member(member_toml("a") + "x = " + "{a=" * 5000 + "1" + "}" * 5000 + "\n"),
                                        "RK101", "nesting too deep"),
    "empty-root-pyproject": Case(files({ROOT: ""}), "RK100", "no uv workspace"),
    # --- workspace layout ---------------------------------------------------------------
    "members-not-an-array": Case(files({ROOT: '[tool.uv.workspace]\nmembers = "packages/*"\n'}), "RK118", "members"),
    "workspace-not-a-table": Case(files({ROOT: "[tool.uv]\nworkspace = 3\n"}), "RK118", "must be a table"),
    "member-absolute-path": Case(files({ROOT: root_toml(["packages/*", "/etc"])}), "RK117", "/etc"),
    "member-glob-matches-a-file": Case(files({"README.md": "x", ROOT: root_toml(["packages/*", "README.md"])}),
                                       "RK116", "README.md"),
    "pyproject-is-a-fifo": Case(_replaced_by(os.mkfifo), "RK102", "not a regular file"),
    "pyproject-links-to-dev-zero": Case(_replaced_by(lambda p: os.symlink("/dev/zero", p)),
                                        "RK102", "not a regular file"),
    "pyproject-dangling-symlink": Case(_replaced_by(lambda p: os.symlink("nowhere.toml", p)),
                                       "RK102", "does not exist"),
    "root-pyproject-is-a-fifo": Case(_replaced_by(os.mkfifo, ROOT), "RK100", "no uv workspace"),
    # --- names and versions -------------------------------------------------------------
    "name-with-escaped-newline": Case(member(member_toml("a\\nerror[RK000] forged")), "RK111", "invalid project name"),
    "name-with-cyrillic-homoglyph": Case(member(member_toml("\u0430cme")), "RK111", "invalid project name"),
    "name-not-a-string": Case(member('[project]\nname = 3\nversion = "1.0"\n'), "RK111", "invalid project name 3"),
    "name-with-backslash": Case(member(member_toml("a\\\\..\\\\b")), "RK111", "invalid project name"),
    "empty-version": Case(member(member_toml("a", "")), "RK113", "PEP 440"),
    "version-both-static-and-dynamic": Case(member('[project]\nname = "a"\nversion = "1.0"\ndynamic = ["version"]\n'),
                                            "RK112", "both set and listed in `dynamic`"),
    "dependency-on-a-dynamic-version": Case(
        ws({"packages/a": member_toml("a", version=None), "packages/b": member_toml("b", deps=["a>=1"])}),
        "RK145", "could not compute the metadata of a", check="other", asks_backend=True),
    "internal-requirement-excludes-the-version": Case(
        ws({"packages/a": member_toml("a", "1.0.0"), "packages/b": member_toml("b", deps=["a>=2"])}),
        "RK143", "'a>=2'", check="other"),
    "two-package-cycle": Case(
        ws({"packages/a": member_toml("a", deps=["b>=1"]), "packages/b": member_toml("b", deps=["a>=1"])}),
        "RK107", "a -> b -> a", check="finding"),
    "dependencies-not-an-array": Case(member('[project]\nname = "a"\nversion = "1.0"\ndependencies = "b>=1"\n'),
                                      "RK119", "dependencies"),
    "optional-dependencies-not-a-table": Case(
        member('[project]\nname = "a"\nversion = "1.0"\noptional-dependencies = 3\n'),
        "RK119", "optional-dependencies"),
    "optional-dependency-group-not-an-array": Case(
        member('[project]\nname = "a"\nversion = "1.0"\n[project.optional-dependencies]\nx = "b"\n'),
        "RK119", "optional-dependencies.x"),
    # --- [tool.releasekit] ----------------------------------------------------------------
    "config-negative-retries": Case(config("max_retries = -1\n"), "RK121", "max_retries"),
    "config-boolean-for-integer": Case(config("concurrency = true\n"), "RK121", "not a boolean"),
    "config-nan-delay": Case(config("retry_base_delay = nan\n"), "RK121", "finite"),
    "config-infinite-timeout": Case(config("poll_timeout = inf\n"), "RK121", "finite"),
    "config-negative-timeout": Case(config("poll_timeout = -5.0\n"), "RK121", "poll_timeout"),
    "config-url-not-http": Case(
        config('[tool.releasekit.index]\ntarget = "custom"\npublish_url = "not a url"\ncheck_url = "ftp://x/simple/"\n'),
        "RK121", "not an http(s) URL"),
    "config-group-not-a-list": Case(config('groups = { g = "a" }\n'), "RK121", "groups.g"),
    "config-tag-format-without-version": Case(config('tag_format = "{name}"\n'), "RK121", "tag_format"),
    "config-array-of-tables": Case(files({ROOT: root_toml() + "\n[[tool.releasekit]]\nx = 1\n"}),
                                   "RK121", "must be a table"),
    "config-state-dir-absolute": Case(config('state_dir = "/tmp/releasekit-elsewhere"\n'), "RK121", "state_dir"),
    "config-state-dir-escapes": Case(config('state_dir = "../elsewhere"\n'), "RK121", "state_dir"),
    "config-exclude-not-a-list": Case(config('exclude = "a"\n'), "RK121", "exclude"),
}

#: The cases of tests/test_bad_input.py, which `check` treats like plan except the cycle.
REUSED: dict[str, Case] = {
    name: Case(build, code, needle, check="finding" if name == "cycle" else "error")
    for name, (build, code, needle) in CLI_CASES.items()
}
CORPUS: dict[str, Case] = {**REUSED, **NEW_CASES}
assert not set(REUSED) & set(NEW_CASES)
#: Run only as subprocesses with a timeout: a regression here would hang the test process.
BLOCKING = {"pyproject-is-a-fifo", "pyproject-links-to-dev-zero", "root-pyproject-is-a-fifo"}
