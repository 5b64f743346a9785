"""The crash harness: signal a real `releasekit publish` at random instants, rerun, check.

A *trial* is one signal delivered to a running publish of the 10-package workspace
(:mod:`tests.reliability.workspace10`). Trials are grouped in *rounds*; every round
publishes fresh versions. Within a round each run is signalled in turn and the next run
(the rerun) is the following trial's victim; the round ends with a run left to finish.

Where a trial strikes is drawn from a seeded RNG: either a pipeline phase (``build`` while
a pyproject.toml is pinned, ``trial`` (the staged gate's install-and-import), ``upload``,
``poll``, ``verify``), struck at a random
delay after a stage of that phase starts, or a plain random instant after the start. What
was really in flight when the signal landed is read back from the run's event log and the
journal, so the report says which phases were hit.

Invariants, checked after every trial and every round (a violation is a *failure*; the
harness goes on and reports them all):
- SIGKILL: the next releasekit command (a rerun, or `plan`) restores every file without help.
- SIGTERM/SIGINT: exit 130, the summary says cancelled, files restored before exit, no
  process of the run left behind.
- every round: the last run exits 0; every workspace file (pyproject.toml, uv.lock, sources)
  is byte-identical to the start of the round and `git status` is clean; the journal is
  empty; every file of the round's version is on the index exactly once (stored once) with
  the sha256 of the build record; no process of any run of the round is left.
"""

from __future__ import annotations

import json
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tests.harness.cli import index_flags, rk, start_rk
from tests.harness.index import LocalIndex
from tests.harness.runstate import STATE, journal_entries, last_run, records
from tests.harness.tree import diff_trees, workspace_files
from tests.reliability import support, workspace10

#: "startup": the scheduler is starting its workers (the run's directory appeared).
PHASES = ("startup", "build", "trial", "upload", "poll", "verify")
#: Seconds after a phase's first stage starts within which the signal lands (uniform).
JITTER = {"startup": 0.3, "build": 0.4, "trial": 0.5, "upload": 0.3, "poll": 0.3, "verify": 0.2}
SIGNALS = {"SIGKILL": signal.SIGKILL, "SIGTERM": signal.SIGTERM, "SIGINT": signal.SIGINT}


@dataclass
class Plan:
    signal: str  # SIGKILL | SIGTERM | SIGINT
    target: str  # group (the whole process group, as a CI runner or a terminal does) | parent
    phase: str  # one of PHASES, or "time" (a plain random instant)
    jitter: float  # seconds after the trigger


@dataclass
class Trial:
    number: int
    round: int
    version: str
    plan: Plan
    at: float = 0.0  # seconds after the run started
    in_flight: list[str] = field(default_factory=list)  # stage:package
    pinned: int = 0  # journal entries (rewritten pyproject.toml) when the signal landed
    returncode: int | None = None
    repaired_by: str = ""
    failures: list[str] = field(default_factory=list)
    started_run: bool = False  # the scheduler had started (else: struck during preflight)

    @property
    def phases_hit(self) -> list[str]:
        hit = {s.split(":", 1)[0] for s in self.in_flight}
        if self.pinned:
            hit.add("build(pinned)")
        if not hit:
            hit.add("startup" if self.started_run else "preflight")
        return sorted(hit)


@dataclass
class Report:
    seed: int
    trials: list[Trial] = field(default_factory=list)
    rounds: list[dict[str, Any]] = field(default_factory=list)
    missed: int = 0  # planned strikes whose run finished first (re-planned, not counted)
    seconds: float = 0.0

    @property
    def failures(self) -> list[str]:
        out = [f"trial {t.number} ({t.plan.signal}): {f}" for t in self.trials for f in t.failures]
        out += [f"round {r['round']}: {f}" for r in self.rounds for f in r["failures"]]
        return out

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            out[t.plan.signal] = out.get(t.plan.signal, 0) + 1
        return out

    def coverage(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for t in self.trials:
            for phase in t.phases_hit:
                out[phase] = out.get(phase, 0) + 1
        return dict(sorted(out.items()))

    def line(self) -> str:
        counts = ", ".join(f"{n} {s}" for s, n in sorted(self.counts().items()))
        cover = ", ".join(f"{p} {n}" for p, n in self.coverage().items())
        return (f"crash trials: {len(self.trials)} ({counts}) in {len(self.rounds)} rounds, "
                f"{len(self.failures)} failures, seed {self.seed}, {self.seconds:.0f} s; "
                f"in flight when struck: {cover}")

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "trials": len(self.trials),
            "by_signal": self.counts(),
            "failures": self.failures,
            "failure_count": len(self.failures),
            "coverage": self.coverage(),
            "missed_strikes": self.missed,
            "seconds": round(self.seconds, 1),
            "rounds": self.rounds,
            "detail": [{**asdict(t), "phases_hit": t.phases_hit} for t in self.trials],
        }


#: Graceful stops, in turn: what systemd and `docker stop` send (TERM to every process),
#: Ctrl-C in a terminal (INT to the foreground group), what a CI runner sends to the step's
#: process on cancel (INT, then TERM), and `kill PID`.
GRACEFUL = (("SIGTERM", "group"), ("SIGINT", "group"), ("SIGINT", "parent"), ("SIGTERM", "parent"))


def make_plans(rng: random.Random, kills: int, graceful: int) -> list[Plan]:
    """``kills`` SIGKILL strikes and ``graceful`` SIGTERM/SIGINT ones, in a seeded order.

    SIGKILL goes to the whole group (a CI runner killing the job's tree) 70% of the time,
    else to the orchestrator alone (the OOM killer); its workers must then go by themselves.
    SIGKILLs aim at the pipeline phases in turn (in a seeded order, so any five cover them
    all), every sixth at worker startup or at a plain random instant instead. The first
    graceful stop always lands while the workers start (a SIGTERM there once hung the run
    forever); the other graceful stops aim at a random phase, or at a random instant.
    """
    stages = [p for p in PHASES if p != "startup"]
    rng.shuffle(stages)
    aims = [("time", "startup")[(i // 6) % 2] if i % 6 == 5 else stages[(i - i // 6) % len(stages)]
            for i in range(kills)]
    signals = [("SIGKILL", "group" if rng.random() < 0.7 else "parent", aim) for aim in aims]
    for i in range(graceful):
        aim = "startup" if i == 0 else (rng.choice(PHASES) if rng.random() < 0.85 else "time")
        signals.append((*GRACEFUL[i % len(GRACEFUL)], aim))
    rng.shuffle(signals)
    plans = []
    for sig, target, phase in signals:
        jitter = rng.uniform(0.5, 12.0) if phase == "time" else rng.uniform(0.0, JITTER[phase])
        plans.append(Plan(sig, target, phase, round(jitter, 3)))
    return plans


class CrashHarness:
    def __init__(self, ws: Path, index: LocalIndex, out: Path, *, seed: int, per_round: int = 3,
                 concurrency: int = 4, log: Callable[[str], None] = print) -> None:
        self.ws = ws
        self.index = index
        self.out = out
        self.rng = random.Random(seed)
        self.report = Report(seed)
        self.per_round = per_round
        self.concurrency = concurrency
        self.log = log
        self._runs = 0
        self._started_wall = 0.0
        self._groups: list[int] = []

    # -- running --------------------------------------------------------------------------

    def _args(self) -> list[str]:
        return ["publish", "-j", str(self.concurrency), *index_flags(self.index)]

    def _start(self) -> tuple[Any, Path, set[Path]]:
        self._runs += 1
        run_out = self.out / f"run-{self._runs:03d}"
        before = set((self.ws / STATE / "runs").glob("*"))
        self._started_wall = time.time()
        proc = start_rk(self.ws, *self._args(), out_dir=run_out)
        self._groups.append(proc.pid)
        return proc, run_out, before

    def _pinned_now(self) -> int:
        """Journal entries this run wrote (a killed run's leftovers, not yet repaired, are not)."""
        count = 0
        for entry in journal_entries(self.ws):
            try:
                count += entry.stat().st_mtime >= self._started_wall
            except FileNotFoundError:
                continue
        return count

    def _run_dir(self, before: set[Path]) -> Path | None:
        new = [d for d in (self.ws / STATE / "runs").glob("*") if d not in before]
        return new[0] if len(new) == 1 else None

    def _in_flight(self, run_dir: Path | None) -> list[str]:
        if run_dir is None:
            return []
        open_stages: dict[str, bool] = {}
        for event in support.read_events(run_dir / "events.ndjson"):
            key = f"{event.get('stage')}:{event.get('package')}"
            if event.get("event") == "start":
                open_stages[key] = True
            elif event.get("event") in ("done", "fail"):
                open_stages.pop(key, None)
        return sorted(open_stages)

    def _triggered(self, plan: Plan, run_dir: Path | None, started: float) -> bool:
        if plan.phase == "time":
            return True
        if plan.phase == "build":
            return self._pinned_now() > 0
        if run_dir is None:
            return False
        if plan.phase == "startup":
            return True
        return any(e.get("stage") == plan.phase and e.get("event") == "start"
                   for e in support.read_events(run_dir / "events.ndjson"))

    def _strike(self, plan: Plan, proc: Any, before: set[Path]) -> tuple[bool, float, list[str], int, bool]:
        """Wait for the trigger, then the jitter, then signal. False if the run ended first."""
        started = time.monotonic()
        deadline = started + 180
        while proc.poll() is None and time.monotonic() < deadline:
            if self._triggered(plan, self._run_dir(before), started):
                break
            time.sleep(0.02)
        end = time.monotonic() + plan.jitter
        while proc.poll() is None and time.monotonic() < end:
            time.sleep(0.01)
        if proc.poll() is not None:
            return False, time.monotonic() - started, [], 0, False
        run_dir = self._run_dir(before)
        in_flight = self._in_flight(run_dir)
        pinned = self._pinned_now()
        sig = SIGNALS[plan.signal]
        try:
            if plan.target == "group":
                os.killpg(proc.pid, sig)
            else:
                os.kill(proc.pid, sig)
        except ProcessLookupError:
            return False, time.monotonic() - started, [], 0, False
        return True, time.monotonic() - started, in_flight, pinned, run_dir is not None

    # -- checks ---------------------------------------------------------------------------

    def _check_graceful(self, trial: Trial, proc: Any, run_out: Path, snapshot: dict[str, str],
                        started_run: bool) -> None:
        try:
            proc.wait(timeout=120)
        except Exception:
            trial.failures.append("did not exit within 120 s of the signal")
            support.kill_group(proc.pid)
            proc.wait(timeout=10)
        trial.returncode = proc.returncode
        stdout = (run_out / "stdout").read_text()
        stderr = (run_out / "stderr").read_text()
        if proc.returncode != 130:
            trial.failures.append(f"exit {proc.returncode}, expected 130; stderr tail: {stderr[-600:]!r}")
        if not started_run:
            # Struck before the scheduler started (preflight): nothing ran, nothing to summarize.
            if "releasekit: interrupted" not in stderr:
                trial.failures.append(f"stopped before the run without saying so: {stderr[-400:]!r}")
        elif "cancelled" not in stdout:
            trial.failures.append(f"the summary does not say cancelled: {stdout[-400:]!r}")
        else:
            try:
                if last_run(self.ws).get("cancelled") is not True:
                    trial.failures.append("last-run.json does not record the run as cancelled")
            except (OSError, ValueError) as exc:
                trial.failures.append(f"no readable last-run.json: {exc}")
        if "Traceback" in stderr or "Traceback" in stdout:
            trial.failures.append(f"a traceback was printed: {stderr[-800:]!r}")
        changed = diff_trees(snapshot, workspace_files(self.ws))
        if changed:
            trial.failures.append(f"files not restored at exit: {changed}")
        if journal_entries(self.ws):
            trial.failures.append("journal entries left after a graceful stop")
        left = support.wait_group_gone(proc.pid, 30)
        if left:
            trial.failures.append(f"processes left after a graceful stop: {left}")
            support.kill_group(proc.pid)
        trial.repaired_by = "itself (graceful)"

    def _check_killed(self, trial: Trial, proc: Any, snapshot: dict[str, str]) -> None:
        try:
            proc.wait(timeout=10)
        except Exception:
            trial.failures.append("SIGKILLed run did not die")
        trial.returncode = proc.returncode
        if trial.plan.target == "group":
            left = support.wait_group_gone(proc.pid, 10)
            if left:
                trial.failures.append(f"processes survived a SIGKILL of their group: {left}")
        changed = diff_trees(snapshot, workspace_files(self.ws))
        if not changed:
            trial.repaired_by = "nothing to repair"
            return
        if trial.number % 2 == 0:
            # Every other time, a read-only command does the repair (every command repairs first).
            done = rk(self.ws, "plan")
            if done.returncode != 0:
                trial.failures.append(f"`releasekit plan` after the kill exited {done.returncode}: {done.stderr}")
            if "repaired a file left by an interrupted run" not in done.stderr:
                trial.failures.append(f"`releasekit plan` did not report a repair: {done.stderr!r}")
            after = diff_trees(snapshot, workspace_files(self.ws))
            if after:
                trial.failures.append(f"`releasekit plan` left files unrepaired: {after}")
            trial.repaired_by = "releasekit plan"
        else:
            trial.repaired_by = "the rerun"

    def _finish_round(self, number: int, version: str, snapshot: dict[str, str], proc: Any,
                      run_out: Path, started: float) -> dict[str, Any]:
        failures: list[str] = []
        try:
            proc.wait(timeout=300)
        except Exception:
            failures.append("the final run did not finish within 300 s")
            support.kill_group(proc.pid)
            proc.wait(timeout=10)
        stdout, stderr = (run_out / "stdout").read_text(), (run_out / "stderr").read_text()
        if proc.returncode != 0:
            failures.append(f"final run exited {proc.returncode}: {stdout[-1500:]} {stderr[-1500:]}")
        summary = last_run(self.ws)
        statuses = {p["name"]: p["status"] for p in summary["packages"]}
        if sorted(statuses) != sorted(workspace10.names()) or not set(statuses.values()) <= {
                "published", "already-published"}:
            failures.append(f"final statuses: {statuses}")
        changed = diff_trees(snapshot, workspace_files(self.ws))
        if changed:
            failures.append(f"workspace differs from the start of the round: {changed}")
        dirty = support.git_status(self.ws)
        if dirty:
            failures.append(f"git status is not clean: {dirty}")
        if journal_entries(self.ws):
            failures.append("journal not empty")
        built = {f: s for f, s in records(self.ws).items() if f"-{version}" in f}
        if len(built) != 2 * len(workspace10.SHAPE):
            failures.append(f"{len(built)} built files recorded for {version}, expected 20")
        on_index = self.index.files()
        uploads = self.index.uploads
        for filename, sha in sorted(built.items()):
            if on_index.get(filename) != sha:
                failures.append(f"{filename}: index sha256 {on_index.get(filename)} != recorded {sha}")
            stats = uploads.get(filename)
            if stats is None or stats.stored != 1:
                failures.append(f"{filename} stored {stats.stored if stats else 0} times, expected once")
        for pgid in self._groups:
            left = support.wait_group_gone(pgid, 30)
            if left:
                failures.append(f"processes of run group {pgid} still alive: {left}")
                support.kill_group(pgid)
        self._groups.clear()
        dup_posts = sum(s.duplicates for f, s in uploads.items() if f"-{version}" in f)
        posts = sum(s.posts for f, s in uploads.items() if f"-{version}" in f)
        return {"round": number, "version": version, "failures": failures,
                "upload_posts": posts, "duplicate_posts": dup_posts,
                "seconds": round(time.monotonic() - started, 1)}

    # -- the whole run ------------------------------------------------------------------

    def run(self, kills: int, graceful: int) -> Report:
        """``kills`` SIGKILL trials and ``graceful`` SIGTERM/SIGINT ones, drawn from the seed."""
        return self.run_plans(make_plans(self.rng, kills, graceful))

    def run_plans(self, plans: list[Plan]) -> Report:
        t0 = time.monotonic()
        pending = list(plans)
        total = len(pending)
        number = 0
        round_no = 0
        while pending:
            round_no += 1
            version = f"1.{round_no}.0"
            workspace10.set_version(self.ws, version)
            snapshot = workspace_files(self.ws)
            r_started = time.monotonic()
            batch = pending[: self.per_round]
            # Strike in pipeline order within a round: a rerun has less left to do.
            order = {p: i for i, p in enumerate(PHASES)}
            batch.sort(key=lambda p: order.get(p.phase, len(PHASES)))
            proc, run_out, before = self._start()
            for plan in batch:
                landed, at, in_flight, pinned, started_run = self._strike(plan, proc, before)
                if not landed:
                    self.report.missed += 1
                    self.log(f"  round {round_no}: {plan.phase} strike missed (the run finished first)")
                    break
                pending.remove(plan)
                number += 1
                trial = Trial(number, round_no, version, plan, round(at, 2), in_flight, pinned,
                              started_run=started_run)
                if plan.signal == "SIGKILL":
                    self._check_killed(trial, proc, snapshot)
                else:
                    self._check_graceful(trial, proc, run_out, snapshot, started_run)
                self.report.trials.append(trial)
                self.log(f"  trial {number}: {plan.signal} to {plan.target} at {at:.2f}s "
                         f"(aimed at {plan.phase}); hit {', '.join(trial.phases_hit) or 'startup'}; "
                         f"rc {trial.returncode}; repaired by {trial.repaired_by}"
                         + (f"; FAILURES {trial.failures}" if trial.failures else ""))
                proc, run_out, before = self._start()
            result = self._finish_round(round_no, version, snapshot, proc, run_out, r_started)
            self.report.rounds.append(result)
            self.log(f"  round {round_no} ({version}): {result['seconds']} s, "
                     f"{result['upload_posts']} upload POSTs, {result['duplicate_posts']} after stored"
                     + (f"; FAILURES {result['failures']}" if result["failures"] else ""))
            if round_no > total + 10:
                self.report.rounds[-1]["failures"].append("too many rounds: strikes keep missing")
                break
        self.report.seconds = time.monotonic() - t0
        return self.report


def write_report(report: Report, path: Path) -> None:
    path.write_text(json.dumps(report.to_json(), indent=2, default=str) + "\n", encoding="utf-8")
