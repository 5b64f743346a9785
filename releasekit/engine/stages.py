"""The one table of pipeline stages: what each does, what runs it, what it waits for, what it weighs.

The plan, the doit tasks, the dispatch priority, the run's results, the front ends, the run
report and the benchmarks' fake backend all read this table; nothing else lists stages.
A stage waits for tasks named in ``needs``; a name resolves per package (``upload`` ->
``upload:acme``), to the plan-wide gate, or, for ``PROVEN``, to the stage after which a package
counts as live and proven in that plan (``smoke`` when it runs after the upload, else ``verify``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum


class When(StrEnum):
    """Which plans a stage belongs to."""

    ALWAYS = "always"
    STAGED = "staged"  # the staged gate: proven on a throwaway index before any upload
    SMOKE = "smoke"  # smoke-tested from the real index after the upload (unstaged plans)


#: In ``needs``: the stage that proves a package (its own, or each dependency's).
PROVEN = "proven"
#: The one plan-wide task between every trial and the first upload.
GATE = "gate"


@dataclass(frozen=True)
class Stage:
    name: str
    help: str
    #: ``module:function`` run by the worker with ``(package, settings)``; "" for the gate.
    action: str
    #: Rough relative cost (seconds against PyPI, order of magnitude): what matters is that a
    #: chain through several uploads outweighs one build.
    weight: float
    when: When = When.ALWAYS
    #: This package's own earlier stages (and the gate) it waits for; absent ones are skipped.
    needs: tuple[str, ...] = ()
    #: A stage each direct dependency must have finished first ("" = none).
    needs_of_deps: str = ""
    #: Bookkeeping that takes no time: a worker spends milliseconds on it, so it goes first.
    instant: bool = False
    #: Keeps a core busy (uv, a build backend, Python); the others mostly wait on an index.
    cpu: bool = False

    @property
    def per_package(self) -> bool:
        return self.name != GATE


TABLE: tuple[Stage, ...] = (
    Stage(
        "build",
        "pin internal deps, uv build sdist+wheel, check the wheel's pins, checksum, restore",
        "releasekit.engine.actions:build",
        2.0,
        cpu=True,
    ),
    Stage(
        "stage",
        "serve the built files from the throwaway staging index on 127.0.0.1",
        "releasekit.engine.proving:stage",
        0.1,
        When.STAGED,
        needs=("build",),
        # Staged after its dependencies: so a trial, which installs every dependency below,
        # waits for its own package's stage alone (one edge, not one per package below).
        needs_of_deps="stage",
    ),
    Stage(
        "trial",
        "install from the staging index (exact pins) into a fresh venv and import it, before any upload",
        "releasekit.engine.proving:trial",
        2.0,
        When.STAGED,
        needs=("stage",),
        cpu=True,
    ),
    Stage(
        GATE,
        "every package installed and imported from the staging index: only then does any upload start",
        "",
        0.0,
        When.STAGED,
        instant=True,
    ),
    Stage(
        "probe", "ask the index which of this version's files it already has", "releasekit.engine.actions:probe", 0.1
    ),
    Stage(
        "upload",
        "uv publish the missing files (retries with jitter); waits for dependencies to be live and proven",
        "releasekit.engine.actions:upload",
        1.0,
        needs=("build", "probe", GATE),
        needs_of_deps=PROVEN,
    ),
    Stage(
        "poll", "wait until the simple index lists every file", "releasekit.engine.landing:poll", 2.0, needs=("upload",)
    ),
    Stage(
        "verify",
        "index sha256 (and JSON API, and a re-download) equals the local checksum",
        "releasekit.engine.landing:verify",
        0.5,
        needs=("poll",),
    ),
    Stage(
        "smoke",
        "install from the index into a fresh venv and import it",
        "releasekit.engine.proving:smoke",
        2.0,
        When.SMOKE,
        needs=("verify",),
        cpu=True,
    ),
    Stage(
        "publish",
        "package released: record the result",
        "releasekit.engine.actions:finish",
        0.0,
        needs=(PROVEN,),
        instant=True,
    ),
)

BY_NAME: Mapping[str, Stage] = {s.name: s for s in TABLE}
#: Every stage in pipeline order, the gate after the trials (how reports order them).
ORDER: tuple[str, ...] = tuple(s.name for s in TABLE)
#: The per-package stages in order; each becomes a doit task ``STAGE:PACKAGE``.
STAGES: tuple[str, ...] = tuple(s.name for s in TABLE if s.per_package)
#: What each stage does, for `doit list`, `releasekit plan` and the docs.
STAGE_HELP: Mapping[str, str] = {s.name: s.help for s in TABLE}
GATE_HELP = BY_NAME[GATE].help


def used(smoke_test: bool, staged: bool) -> tuple[Stage, ...]:
    """The stages a plan runs: the staged gate, or a smoke test after the upload, or neither."""
    staged = staged and smoke_test
    wanted = {When.ALWAYS, *([When.STAGED] if staged else [When.SMOKE] if smoke_test else [])}
    return tuple(s for s in TABLE if s.when in wanted)


def proving_stage(stages: tuple[Stage, ...]) -> str:
    """After which stage a package counts as live and proven in a plan running ``stages``."""
    return "smoke" if any(s.when is When.SMOKE for s in stages) else "verify"


def weight(task_name: str) -> float:
    """``upload:acme-core`` -> the weight of ``upload``; tasks of other kinds weigh nothing."""
    stage, sep, _ = task_name.partition(":")
    return BY_NAME[stage].weight if sep and stage in BY_NAME else 0.0


def is_instant(task_name: str) -> bool:
    """Whether a task is bookkeeping (a package's finish line, the gate), dispatched before the rest."""
    found = BY_NAME.get(task_name.partition(":")[0])
    return found is not None and found.instant and (found.per_package == (":" in task_name))
