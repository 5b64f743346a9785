"""What a release workflow step answers with ``--format json``: its name, then its result's fields."""

from __future__ import annotations

from typing import Any, ClassVar


class StepResult:
    """Base of the steps' result dataclasses; fields in ``private`` stay out of the JSON."""

    command: ClassVar[str]
    private: ClassVar[tuple[str, ...]] = ()

    def to_json(self) -> dict[str, Any]:
        fields = {k: v for k, v in vars(self).items() if k not in self.private}
        return {"command": self.command, **fields}
