"""Conventional Commits parsing, revert cancellation and path attribution (no git needed)."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from releasekit.backends.git import Commit
from releasekit.workflow.conventional import breaking_notes, effective_changes, parse_header, parse_message
from releasekit.workflow.history import owner_of


def commit(sha: str, subject: str, body: str = "", files: tuple[str, ...] = ("p/a.py",)) -> Commit:
    return Commit(
        sha=sha * 40 if len(sha) == 1 else sha,
        author="Ada",
        email="a@x",
        date="2026-01-01",
        subject=subject,
        body=body,
        files=files,
    )


def test_header_forms() -> None:
    h = parse_header("feat(core)!: drop Python 3.8")
    assert h is not None and (h.type, h.scope, h.breaking, h.description) == (
        "feat",
        "core",
        True,
        "drop Python 3.8",
    )
    h = parse_header("FIX: Case insensitive type")
    assert h is not None and h.type == "fix" and h.scope is None and not h.breaking
    assert parse_header("fix:no space") is None
    assert parse_header("just a sentence") is None
    assert parse_header("feat(): empty scope") is not None
    assert parse_header("feat(a)(b): two scopes") is None


def test_subject_pr_number_and_author() -> None:
    (change,) = parse_message("abc1234", "feat(api): paging (#123)", "", author="Grace")
    assert change.pr == 123 and change.description == "paging" and change.author == "Grace"
    assert change.kind == "minor"
    (change,) = parse_message("abc1234", "Merge pull request #9 from x/y", "* fix: a bug")
    assert change.type == "fix" and change.pr == 9


def test_breaking_footers() -> None:
    body = "Some context.\n\nBREAKING CHANGE: the config key moved\nto another table\nRefs: #12"
    (change,) = parse_message("a" * 40, "fix: move key", body)
    assert change.breaking and change.kind == "major"
    assert change.breaking_notes == ("the config key moved to another table",)
    (change,) = parse_message("a" * 40, "fix: x", "BREAKING-CHANGE: hyphen form")
    assert change.breaking and change.breaking_notes == ("hyphen form",)
    # lower case is not the token (the spec makes BREAKING CHANGE case sensitive)
    (change,) = parse_message("a" * 40, "fix: x", "breaking change: not a footer")
    assert not change.breaking
    assert breaking_notes("BREAKING CHANGE: one\n\nBREAKING CHANGE: two") == ("one", "two")


def test_types_that_do_not_release() -> None:
    for subject in (
        "docs: readme",
        "chore(deps): bump",
        "ci: matrix",
        "refactor: tidy",
        "test: more",
    ):
        (change,) = parse_message("a" * 40, subject, "")
        assert change.kind is None, subject
    assert parse_message("a" * 40, "Update README", "") == ()


def test_squash_merge_bullets_only_when_subject_is_not_conventional() -> None:
    body = "* feat: one (#4)\n* fix(x): two\n- not a header\n"
    changes = parse_message("a" * 40, "Release stuff (#10)", body)
    assert [(c.type, c.pr) for c in changes] == [("feat", 4), ("fix", 10)]
    # a conventional subject wins; its body bullets are details, not more changes
    (only,) = parse_message("a" * 40, "feat: the PR title", body)
    assert only.description == "the PR title"


def test_git_revert_cancels_its_target_in_range() -> None:
    target = commit("1", "feat: add knob")
    revert = commit("2", 'Revert "feat: add knob"', f"This reverts commit {'1' * 40}.")
    fix = commit("3", "fix: other")
    changes, cancelled = effective_changes([fix, revert, target])  # newest first
    assert [c.description for c in changes] == ["other"]
    assert cancelled == {"1" * 40, "2" * 40}


def test_revert_matched_by_header_and_abbreviated_sha() -> None:
    target = commit("4", "feat(ui): dark mode (#7)")
    by_header = commit("5", "revert: feat(ui): dark mode (#7)")
    assert effective_changes([by_header, target])[0] == []
    by_short = commit("6", 'Revert "something else"', "This reverts commit 4444444.")
    assert effective_changes([by_short, target])[0] == []


def test_revert_of_a_released_commit_is_a_patch() -> None:
    revert = commit("7", 'Revert "feat: old"', f"This reverts commit {'9' * 40}.")
    (change,) = effective_changes([revert])[0]
    assert change.is_revert and change.kind == "patch"


def test_revert_of_revert_restores_the_original() -> None:
    original = commit("1", "feat: knob")
    revert = commit("2", 'Revert "feat: knob"', f"This reverts commit {'1' * 40}.")
    again = commit("3", 'Revert "Revert "feat: knob""', f"This reverts commit {'2' * 40}.")
    changes, cancelled = effective_changes([again, revert, original])
    assert [c.description for c in changes] == ["knob"] and cancelled == {"2" * 40, "3" * 40}


def test_owner_is_the_deepest_package_directory() -> None:
    table = [("packages/core/plugins/x", "x"), ("packages/core", "core"), ("", "root")]
    assert owner_of("packages/core/a.py", table) == "core"
    assert owner_of("packages/core/plugins/x/b.py", table) == "x"
    assert owner_of("packages/corex/c.py", table) == "root"
    assert owner_of("README.md", table) == "root"
    assert owner_of("README.md", table[:2]) is None


# --- properties --------------------------------------------------------------------------

types = st.sampled_from(["feat", "fix", "perf", "docs", "chore", "refactor", "build", "ci"])
scopes = st.none() | st.text(string.ascii_lowercase + "-_/.", min_size=1, max_size=12)
words = (
    st.text(string.ascii_letters + string.digits + " .,'`-", min_size=1, max_size=60)
    .map(str.strip)
    .filter(bool)
)


@given(
    kind=types,
    scope=scopes,
    bang=st.booleans(),
    description=words,
    pr=st.none() | st.integers(1, 99999),
    note=st.none() | words,
)
def test_formatted_messages_parse_back(
    *, kind: str, scope: str | None, bang: bool, description: str, pr: int | None, note: str | None
) -> None:
    subject = f"{kind}{f'({scope})' if scope else ''}{'!' if bang else ''}: {description}"
    if pr is not None:
        subject += f" (#{pr})"
    body = f"Details here.\n\nBREAKING CHANGE: {note}" if note else "Details here."
    (change,) = parse_message("f" * 40, subject, body)
    assert change.type == kind
    assert change.scope == scope
    assert change.description == description
    assert change.pr == pr
    assert change.breaking == (bang or note is not None)
    assert change.breaking_notes == ((note,) if note else ())
    expected = (
        "major" if change.breaking else {"feat": "minor", "fix": "patch", "perf": "patch"}.get(kind)
    )
    assert change.kind == expected


@given(st.text(max_size=200), st.text(max_size=400))
def test_parser_never_crashes(subject: str, body: str) -> None:
    for change in parse_message("0" * 40, subject, body):
        assert change.type and change.type == change.type.lower()


@given(st.lists(st.booleans(), min_size=1, max_size=8))
def test_reverted_commits_never_count(revert_each: list[bool]) -> None:
    """Any mix of features, each maybe reverted later: exactly the unreverted ones remain."""
    commits: list[Commit] = []
    for i, reverted in enumerate(revert_each):
        sha = f"{i:040x}"
        commits.append(commit(sha, f"feat: f{i}"))
        if reverted:
            commits.append(
                commit(f"{i + 100:040x}", f'Revert "feat: f{i}"', f"This reverts commit {sha}.")
            )
    changes, _ = effective_changes(list(reversed(commits)))
    assert [c.description for c in changes] == [f"f{i}" for i, r in enumerate(revert_each) if not r]
