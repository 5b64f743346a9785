"""PEP 440 version arithmetic and requirement-string rewriting.

Two rewrites exist: *pinning* (``core>=1`` -> ``core==1.2.0`` for a build) and *widening*
(after a bump, a dependent's specifier is changed only if it no longer admits the new
version). Both keep the name, extras and environment marker exactly as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from releasekit.errors import VersionError

BumpKind = Literal["major", "minor", "patch"]
_LABELS = {"a": "a", "alpha": "a", "b": "b", "beta": "b", "rc": "rc", "c": "rc", "pre": "rc", "preview": "rc"}
_PRE_ORDER = {"a": 0, "b": 1, "rc": 2}
_PRE_RE = re.compile(r"^(?P<label>[a-zA-Z]+)[.\-_]?(?P<number>\d+)?$")


@dataclass(frozen=True)
class Bump:
    """What to do to a version: a release-segment bump and/or a pre/dev/post step, or an exact value."""

    kind: BumpKind | None = None
    pre: str | None = None
    dev: bool = False
    post: bool = False
    exact: str | None = None

    def describe(self) -> str:
        if self.exact:
            return f"set to {self.exact}"
        parts: list[str] = [self.kind] if self.kind else []
        if self.pre:
            parts.append(f"pre {self.pre}")
        if self.dev:
            parts.append("dev")
        if self.post:
            parts.append("post")
        return " + ".join(parts) or "none"

    @property
    def empty(self) -> bool:
        return not (self.kind or self.pre or self.dev or self.post or self.exact)


def parse_version(text: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise VersionError(
            f"{text!r} is not a valid PEP 440 version",
            code="RK113",
            hint="use a version like 1.2.0, 1.2.0rc1 or 1.2.0.dev3",
        ) from None


def parse_pre_label(text: str) -> tuple[str, int | None]:
    """``rc`` -> ("rc", None); ``rc.2`` / ``rc2`` -> ("rc", 2); ``beta`` -> ("b", None)."""
    match = _PRE_RE.match(text.strip())
    label = _LABELS.get(match.group("label").lower()) if match else None
    if not match or label is None:
        raise VersionError(
            f"unknown prerelease label {text!r}",
            code="RK141",
            hint="use a, b or rc (alpha, beta, c and preview are accepted too), optionally with a number: rc2",
        )
    number = match.group("number")
    return label, int(number) if number is not None else None


def _release(v: Version) -> tuple[int, int, int]:
    parts = (*v.release, 0, 0)
    return parts[0], parts[1], parts[2]


def _fmt(release: tuple[int, int, int], epoch: int, suffix: str = "") -> str:
    head = f"{epoch}!" if epoch else ""
    return f"{head}{release[0]}.{release[1]}.{release[2]}{suffix}"


def _bump_release(release: tuple[int, int, int], kind: BumpKind) -> tuple[int, int, int]:
    major, minor, micro = release
    if kind == "major":
        return major + 1, 0, 0
    if kind == "minor":
        return major, minor + 1, 0
    return major, minor, micro + 1


def _target_release(v: Version, kind: BumpKind | None) -> tuple[int, int, int]:
    """The release segment a bump aims at; a prerelease of X is promoted to X when X suffices."""
    release = _release(v)
    if v.is_prerelease:
        if kind is None or kind == "patch":
            return release
        major, minor, micro = release
        if kind == "minor":
            return release if micro == 0 else (major, minor + 1, 0)
        return release if (minor, micro) == (0, 0) else (major + 1, 0, 0)
    if v.is_postrelease:
        return _bump_release(release, kind or "patch")
    return _bump_release(release, kind or "patch")


def next_version(current: str, bump: Bump) -> str:
    """The version after ``bump``; always strictly greater than ``current``."""
    v = parse_version(current)
    result = _next(v, bump)
    if parse_version(result) <= v:
        raise VersionError(
            f"{bump.describe()} on {current} gives {result}, which is not greater",
            code="RK141",
            hint="versions only move forward; choose a bigger bump or an explicit higher --version",
        )
    return result


def _next(v: Version, bump: Bump) -> str:
    if bump.exact:
        return str(parse_version(bump.exact))
    if bump.post:
        if v.is_prerelease:
            raise VersionError(
                f"cannot make a post-release of the prerelease {v}",
                code="RK141",
                hint="post-releases follow final releases only",
            )
        return f"{v.base_version}.post{(v.post or 0) + 1}"
    if bump.pre:
        label, explicit = parse_pre_label(bump.pre)
        target = _target_release(v, bump.kind)
        number = explicit if explicit is not None else 1
        dev_suffix = ".dev1" if bump.dev else ""
        if v.pre is not None and target == _release(v):
            cur_label, cur_num = v.pre
            if _PRE_ORDER[label] < _PRE_ORDER[cur_label]:
                raise VersionError(
                    f"prerelease {label} would go backwards from {v}",
                    code="RK141",
                    hint=f"use {cur_label} or a later label, or bump --patch/--minor/--major",
                )
            if label == cur_label and explicit is None:
                # 1.0rc1.dev2 -> 1.0rc1 (finish the dev series); 1.0rc1 -> 1.0rc2
                number = cur_num if v.dev is not None else cur_num + 1
            if bump.dev and v.dev is not None and (label, number) == (cur_label, cur_num):
                # 1.0rc1.dev2 with --pre rc --dev: continue the dev series, 1.0rc1.dev3
                dev_suffix = f".dev{v.dev + 1}"
        return _fmt(target, v.epoch, f"{label}{number}{dev_suffix}")
    if bump.dev:
        if (
            bump.kind is not None
            and v.dev is not None
            and v.pre is None
            and v.post is None
            and _target_release(v, bump.kind) == _release(v)
        ):
            # 1.3.0.dev1 + minor dev -> 1.3.0.dev2: still the same development series
            return f"{str(v).rsplit('.dev', 1)[0]}.dev{v.dev + 1}"
        if bump.kind is None and v.dev is not None:
            stem = str(v).rsplit(".dev", 1)[0]
            return f"{stem}.dev{v.dev + 1}"
        if bump.kind is None and v.pre is not None:
            label, number = v.pre
            return _fmt(_release(v), v.epoch, f"{label}{number + 1}.dev1")
        return _fmt(_target_release(v, bump.kind), v.epoch, ".dev1")
    if bump.kind is None:
        raise VersionError(
            "no bump given",
            code="RK150",
            hint="pass --major, --minor, --patch, --pre LABEL, --dev, --post or --version X",
        )
    return _fmt(_target_release(v, bump.kind), v.epoch)


def prerelease_bump(kind: BumpKind | None, label: str) -> tuple[Bump, bool]:
    """``--prerelease LABEL`` as a Bump; the flag says whether LABEL fixed its own number.

    ``a``/``b``/``rc`` (``alpha``, ``beta``, ``c``, ``rc.1``...) make PEP 440 prereleases;
    ``dev`` (or ``.dev``) makes a ``.devN`` release.
    """
    text = label.strip().lstrip(".")
    match = re.fullmatch(r"dev[.\-_]?(\d+)?", text, re.IGNORECASE)
    if match:
        return Bump(kind=kind, dev=True), match.group(1) is not None
    _label, number = parse_pre_label(text)
    return Bump(kind=kind, pre=text), number is not None


def advance_counter(candidate: str, existing: Iterable[str]) -> str:
    """Move ``candidate``'s pre/dev counter past every version in ``existing`` of the same series.

    ``1.3.0rc1`` with an existing tag for ``1.3.0rc2`` gives ``1.3.0rc3``; a final version or
    one whose series has no existing member is returned unchanged. The counters advance from
    the tags, so a prerelease cut on another branch is never reissued.
    """
    v = parse_version(candidate)
    if v.pre is None and v.dev is None:
        return candidate
    taken: list[int] = []
    for text in existing:
        try:
            other = Version(text)
        except InvalidVersion:
            continue
        if other.epoch != v.epoch or _release(other) != _release(v) or other.post is not None:
            continue
        if v.pre is not None and v.dev is None:
            if other.pre is not None and other.pre[0] == v.pre[0] and other.dev is None:
                taken.append(other.pre[1])
        elif v.dev is not None and other.dev is not None and other.pre == v.pre:
            taken.append(other.dev)
    if not taken:
        return candidate
    head = f"{v.epoch}!" if v.epoch else ""
    base = head + ".".join(str(p) for p in _release(v))
    if v.pre is not None and v.dev is None:
        number = max(v.pre[1], max(taken) + 1)
        return f"{base}{v.pre[0]}{number}"
    assert v.dev is not None
    number = max(v.dev, max(taken) + 1)
    pre = f"{v.pre[0]}{v.pre[1]}" if v.pre is not None else ""
    return f"{base}{pre}.dev{number}"


def max_kind(*kinds: BumpKind | None) -> BumpKind | None:
    """The biggest of some bumps (major > minor > patch > none)."""
    order = {None: 0, "patch": 1, "minor": 2, "major": 3}
    return max(kinds, key=lambda k: order[k], default=None)


# --- requirement strings -------------------------------------------------------------

_REQ_SPLIT = re.compile(
    r"^(?P<head>\s*[A-Za-z0-9][A-Za-z0-9._-]*\s*(?:\[[^\]]*\])?\s*)"
    r"(?P<spec>[^;@]*?)"
    r"(?P<tail>\s*(?:;.*)?)$",
    re.DOTALL,
)


def split_requirement(raw: str) -> tuple[str, str, str] | None:
    """(name+extras, specifier text, marker tail) or None for URL requirements."""
    if "@" in raw.split(";", 1)[0]:
        return None
    match = _REQ_SPLIT.match(raw)
    if not match:
        return None
    return match.group("head"), match.group("spec"), match.group("tail")


def pin_requirement(raw: str, version: str) -> str:
    """``name[extras] <anything> ; marker`` -> ``name[extras]==version ; marker``."""
    parts = split_requirement(raw)
    if parts is None:
        raise VersionError(
            f"cannot pin {raw!r}: it is a direct URL reference",
            code="RK142",
            hint="internal dependencies must be plain requirements with a [tool.uv.sources] workspace entry",
        )
    head, _spec, tail = parts
    return f"{head.rstrip()}=={version}{tail}"


def admits(specifier: str, version: str) -> bool:
    try:
        return SpecifierSet(specifier).contains(Version(version), prereleases=True)
    except (InvalidSpecifier, InvalidVersion):
        return False


def _precision(text: str) -> int:
    v = Version(text)
    return len(v.release)


def _upper_after(new: Version, precision: int) -> str:
    """An exclusive upper bound of the same precision that admits ``new``."""
    release = (*new.release, 0, 0, 0)[: max(precision, 1)]
    bumped = [*release]
    index = max(precision - 1, 0)
    bumped[index] += 1
    for i in range(index + 1, len(bumped)):
        bumped[i] = 0
    epoch = f"{new.epoch}!" if new.epoch else ""
    return epoch + ".".join(str(p) for p in bumped)


def widen_specifier(specifier: str, version: str) -> str | None:
    """A specifier that admits ``version`` and keeps every clause that already did, or None if unchanged."""
    if admits(specifier, version):
        return None
    new = Version(version)
    clauses: list[str] = []
    for text in (c.strip() for c in specifier.split(",")):
        if not text:
            continue
        spec = Specifier(text)
        if spec.contains(new, prereleases=True):
            clauses.append(text)
            continue
        op, target = spec.operator, spec.version
        if op in ("==", "==="):
            clauses.append(f"=={version}")
        elif op == "~=":
            digits = ".".join(str(p) for p in (*new.release, 0, 0)[: max(_precision(target), 2)])
            candidate = f"~={digits}"
            clauses.append(candidate if Specifier(candidate).contains(new, prereleases=True) else f">={version}")
        elif op == "<":
            clauses.append(f"<{_upper_after(new, _precision(target))}")
        elif op == "<=":
            clauses.append(f"<={version}")
        elif op in (">=", ">"):
            clauses.append(f">={version}")
        elif op == "!=":
            continue
        else:  # pragma: no cover - packaging knows no other operators
            clauses.append(f">={version}")
    result = ",".join(clauses)
    return result if admits(result, version) else f">={version}"


def widen_requirement(raw: str, version: str) -> str | None:
    """The requirement string rewritten so it admits ``version``; None when it already does."""
    parts = split_requirement(raw)
    if parts is None:
        return None
    head, spec, tail = parts
    stripped = spec.strip()
    paren = stripped.startswith("(") and stripped.endswith(")")
    inner = stripped[1:-1] if paren else stripped
    if not inner:
        return None
    widened = widen_specifier(inner, version)
    if widened is None:
        return None
    if paren:
        widened = f"({widened})"
    leading = spec[: len(spec) - len(spec.lstrip())]
    return f"{head}{leading}{widened}{tail}"
