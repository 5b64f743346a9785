"""The realistic 60-member workspace (a helper: no ``run()``), shaped like the real ones in
notes/real-workspaces.md: one core package with a fan-out of 30 namespace plugins (hatch
``only-include``), a "batteries" package whose extras point back at the plugins (and an extra of
the core pointing at a plugin that depends on it), four levels, a dozen ``samples/*`` members the
root's ``exclude`` keeps out of every release, long names, and third-party requirements that the
local index serves from the wheelhouse. Every module imports its internal dependencies and its
third-party ones, so a smoke install that misses any of them fails.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks._workspace import root_manifest

PREFIX = "rkbench"
#: Third-party requirements (all in the wheelhouse) and the module each one imports.
THIRD_PARTY: dict[str, str] = {
    "packaging": "packaging",
    "pluggy": "pluggy",
    "pathspec": "pathspec",
    "trove-classifiers": "trove_classifiers",
}
PLUGINS = (
    "observability-exporter-opentelemetry", "observability-exporter-prometheus", "observability-tracing-jaeger",
    "storage-backend-postgresql", "storage-backend-sqlite", "storage-backend-object-store", "storage-cache-redis",
    "model-provider-openai-compatible", "model-provider-anthropic", "model-provider-local-llama",
    "model-provider-azure", "model-provider-bedrock", "vector-store-pgvector", "vector-store-qdrant",
    "vector-store-chroma", "document-loader-pdf", "document-loader-html", "document-loader-markdown",
    "evaluation-metrics-retrieval", "evaluation-metrics-generation", "auth-provider-oauth2", "auth-provider-saml",
    "messaging-queue-kafka", "messaging-queue-rabbitmq", "scheduler-cron", "scheduler-celery",
    "notifications-email-smtp", "notifications-chat-webhooks", "search-engine-elasticsearch",
    "search-engine-meilisearch",
)
INTEGRATIONS = (
    "retrieval-augmented-pipelines", "observability-dashboards", "document-ingestion", "model-gateway",
    "semantic-search", "evaluation-harness", "event-streaming", "workflow-automation", "identity-federation",
    "data-warehouse-sync", "alerting-and-notifications",
)
APPS = ("batteries", "command-line-interface", "application-server", "notebook-extension")
SAMPLES = (
    "chatbot-quickstart", "rag-over-pdfs", "observability-demo", "multi-tenant-auth", "kafka-consumer",
    "scheduled-reports", "semantic-search-ui", "evaluation-notebook", "local-llama-chat", "webhook-relay",
    "data-sync-job", "all-batteries-included",
)
CORE = f"{PREFIX}-core"
COMMON = f"{PREFIX}-common-utilities"
TESTING = f"{PREFIX}-testing-helpers"
BATTERIES = f"{PREFIX}-batteries"


@dataclass(frozen=True)
class Member:
    name: str
    folder: str  # "packages", "plugins" or "samples"
    module: str  # the dotted import name
    deps: tuple[str, ...] = ()  # internal `dependencies`
    third_party: tuple[str, ...] = ()
    extras: dict[str, tuple[str, ...]] = field(default_factory=dict)  # extra -> internal names
    namespace: bool = False  # a PEP 420 namespace package packed with hatch `only-include`

    @property
    def path(self) -> str:
        return f"{self.folder}/{self.name}"

    @property
    def released(self) -> bool:
        return self.folder != "samples"

    @property
    def source_dir(self) -> str:
        return "src/" + self.module.replace(".", "/")


def _snake(text: str) -> str:
    return text.replace("-", "_")


def shape(seed: int = 60) -> dict[str, Member]:
    """The 60 members (48 released, 12 samples); ``seed`` picks the edges and third parties."""
    rng = random.Random(seed)
    members = [
        Member(CORE, "packages", f"{PREFIX}.core", (), ("packaging",),
               {"otel": (f"{PREFIX}-plugin-{PLUGINS[0]}",)}, namespace=True),
        Member(COMMON, "packages", _snake(COMMON), (), ("trove-classifiers",)),
    ]
    plugins = [f"{PREFIX}-plugin-{p}" for p in PLUGINS]
    for name, short in zip(plugins, PLUGINS, strict=True):
        deps: tuple[str, ...] = (CORE, COMMON) if rng.random() < 0.3 else (CORE,)
        third = ("pluggy",) if rng.random() < 0.4 else ()
        members.append(Member(name, "plugins", f"{PREFIX}.plugins.{_snake(short)}", deps, third, namespace=True))
    members.append(Member(TESTING, "packages", _snake(TESTING), (CORE,), ("pluggy",)))
    integrations = [f"{PREFIX}-integration-{i}" for i in INTEGRATIONS]
    for name in integrations:
        deps = (CORE, *sorted(rng.sample(plugins, rng.randint(2, 3))))
        members.append(Member(name, "packages", _snake(name), deps, ("pathspec",) if rng.random() < 0.5 else ()))
    for app in APPS:
        name = f"{PREFIX}-{app}"
        deps = (CORE, *sorted(rng.sample(integrations, 2)))
        extras: dict[str, tuple[str, ...]] = {}
        if name == BATTERIES:
            for plugin, short in zip(plugins, PLUGINS, strict=True):
                extras.setdefault(short.split("-")[0], ())
                extras[short.split("-")[0]] += (plugin,)
            extras["all"] = tuple(plugins)
        members.append(Member(name, "packages", _snake(name), deps, (), extras))
    dependents = [m.name for m in members if m.name not in (CORE, COMMON)]
    for sample in SAMPLES:
        name = f"{PREFIX}-sample-{sample}"
        deps = tuple(sorted(rng.sample(dependents, rng.randint(1, 3))))
        members.append(Member(name, "samples", _snake(name), deps))
    return {m.name: m for m in members}


def release_deps(members: Mapping[str, Member]) -> dict[str, tuple[str, ...]]:
    """Internal `dependencies` of the released members (extras are not publish edges)."""
    return {m.name: m.deps for m in members.values() if m.released}


def levels(deps: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Each package's level: 0 without dependencies, else one above its highest dependency."""
    out: dict[str, int] = {}

    def level(name: str) -> int:
        if name not in out:
            out[name] = 1 + max((level(d) for d in deps[name]), default=-1)
        return out[name]

    for name in deps:
        level(name)
    return out


def _manifest(member: Member, version: str) -> str:
    requirements = [f"{d}>={version}" for d in member.deps] + list(member.third_party)
    lines = [
        "[project]",
        f'name = "{member.name}"',
        f'version = "{version}"',
        f'description = "Benchmark member {member.name}."',
        'requires-python = ">=3.9"',
        "dependencies = [" + ", ".join(f'"{r}"' for r in requirements) + "]",
    ]
    if member.extras:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{extra} = [" + ", ".join(f'"{n}>={version}"' for n in names) + "]"
                  for extra, names in member.extras.items()]
    lines += ["", "[build-system]", 'requires = ["hatchling"]', 'build-backend = "hatchling.build"']
    if member.namespace:
        lines += ["", "[tool.hatch.build.targets.wheel]", f'only-include = ["{member.source_dir}"]',
                  'sources = ["src"]']
    return "\n".join(lines) + "\n"


def write(root: Path, members: Mapping[str, Member], version: str, *, publish_url: str, check_url: str) -> Path:
    """Write (or rewrite, for a new version) the whole workspace under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(
        root_manifest(members, publish_url=publish_url, check_url=check_url, extra_config='exclude = ["samples/*"]\n',
                      member_globs=("packages/*", "plugins/*", "samples/*")),
        encoding="utf-8",
    )
    for member in members.values():
        home = root / member.path
        src = home / member.source_dir
        src.mkdir(parents=True, exist_ok=True)
        (home / "pyproject.toml").write_text(_manifest(member, version), encoding="utf-8")
        imports = [members[d].module for d in member.deps] + [THIRD_PARTY[t] for t in member.third_party]
        body = "".join(f"import {m}  # noqa: F401\n" for m in imports)
        (src / "__init__.py").write_text(f'{body}__version__ = "{version}"\n', encoding="utf-8")
    return root
