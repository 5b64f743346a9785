"""The release PR's text: its title, the commit message, and a body that fits GitHub's limit.

The body is a human part (a table of versions and each package's notes) followed by the
release manifest that ``release`` reads back; when the body is too long only the human part
is cut, so the manifest always survives.
"""

from __future__ import annotations

from collections.abc import Mapping

from releasekit.backends.github import MAX_BODY
from releasekit.errors import WorkflowError
from releasekit.workflow.commits import Analysis
from releasekit.workflow.release_manifest import Manifest

TITLE_PREFIX = "chore(release):"


def release_title(versions: Mapping[str, str]) -> str:
    """``chore(release): a 1.2.0, b 0.3.1``, or a count when that would be too long."""
    if not versions:
        return f"{TITLE_PREFIX} release"
    listed = f"{TITLE_PREFIX} " + ", ".join(f"{n} {v}" for n, v in sorted(versions.items()))
    if len(listed) <= 120:
        return listed
    return f"{TITLE_PREFIX} {len(versions)} packages"


def commit_message(title: str, manifest: Manifest) -> str:
    """The release commit: the title, then one ``name: previous -> next`` line per package."""
    lines = [f"{e.name}: {e.previous} -> {e.version}\n" for e in manifest.packages]
    return f"{title}\n\n" + "".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _human_part(analysis: Analysis | None, sections: Mapping[str, str], manifest: Manifest) -> str:
    lines = [
        ":robot: This release PR is maintained by releasekit. Merging it tags the merge commit "
        "once per package and creates the GitHub releases; `releasekit publish` then uploads "
        "the packages.",
        "",
    ]
    if manifest.packages:
        lines += ["| package | current | next | why |", "|---|---|---|---|"]
        for entry in manifest.packages:
            decision = analysis.decisions.get(entry.name) if analysis else None
            why = decision.reason if decision else ""
            lines.append(f"| {entry.name} | {entry.previous} | **{entry.version}** | {_cell(why)} |")
        lines.append("")
    else:
        lines += ["No package changes a version in this release PR (opened with `--force`).", ""]
    for entry in manifest.packages:
        if entry.name in sections:
            summary = f"<details><summary>{entry.name} {entry.version}</summary>"
            lines += [summary, "", sections[entry.name].rstrip(), "", "</details>", ""]
    return "\n".join(lines)


def pr_body(
    analysis: Analysis | None,
    sections: Mapping[str, str],
    manifest: Manifest,
    *,
    limit: int = MAX_BODY,
) -> str:
    """The human part (table, notes) then the manifest; only the human part is cut to fit."""
    human = _human_part(analysis, sections, manifest)
    tail = manifest.block()
    if len(human) + 1 + len(tail) > limit:
        tail = manifest.block(compact=True)
    room = limit - len(tail) - 1
    if room < 200:
        raise WorkflowError(
            f"the release manifest alone is {len(tail)} characters, over GitHub's {limit}-character PR body limit",
            code="RK705",
            hint="release fewer packages at once (--group or --package)",
        )
    if len(human) > room:
        human = _truncate(human, room)
    return human + "\n" + tail


def _truncate(text: str, room: int) -> str:
    """Cut at a line, closing any open code fence and <details> so the rest still renders."""
    note = "\n\n*(truncated to fit GitHub's limit: the full notes are in the CHANGELOG.md files of this PR)*\n"
    closers = "\n```\n\n</details>\n"
    cut = text[: max(0, room - len(note) - len(closers) * 4)]
    cut = cut[: cut.rfind("\n")] if "\n" in cut else cut
    if sum(1 for line in cut.splitlines() if line.startswith("```")) % 2:
        cut += "\n```"
    opened = cut.count("<details>") - cut.count("</details>")
    cut += "\n\n</details>" * max(0, opened)
    return cut + note
