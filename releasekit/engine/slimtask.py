"""doit's Task in less memory: a 1000-package plan holds 7000 of them for the whole run.

CPython 3.11 keeps an instance's attributes in a compact table shared by every instance of its
class, up to 30 attributes; doit's Task sets 34, so each task gets its own full dict instead
(1.6 KB, 11 MB at 1000 packages; benchmarks/memory.py). :class:`SlimTask` moves five attributes
that only the process planning the run sets (never a stage, so no worker ever sends them back)
into slots, and the other 29 share one table again. Everything doit reads stays where it was.
"""

from __future__ import annotations

from typing import Any

from doit.task import Task

#: Set when doit loads and selects tasks, read in the worker, changed by no action.
SLOTTED = ("params", "creator_params", "pos_arg", "pos_arg_val", "cfg_values")


class SlimTask(Task):  # type: ignore[misc]
    """A doit Task whose rarely used attributes live in slots (see the module's docstring)."""

    __slots__ = SLOTTED

    def __getstate__(self) -> tuple[dict[str, Any], dict[str, Any]]:
        # doit's own state is the instance dict alone; pickle restores the slots from the second half.
        state: dict[str, Any] = super().__getstate__()
        return state, {name: getattr(self, name) for name in SLOTTED}


def slim(task: Task) -> Task:
    """The same task as a :class:`SlimTask`; one whose actions point back at it is kept as it is."""
    if task.teardown or task.clean_actions or task._action_instances is not None:
        return task
    new = SlimTask.__new__(SlimTask)
    for name, value in task.__dict__.items():  # doit's own order: the instances share one table
        setattr(new, name, value)
    return new
