"""A 60-member workspace for rendering (real-workspaces.md §9): names up to 40 characters, five
levels, core with 30 direct dependents, a batteries extra, a dozen excluded samples and a
development-group loop. Static metadata only: it locks offline and is never built.
"""

from __future__ import annotations

from tests.shapes.layout import CORE, Shape
from tests.shapes.plugins import CORE_REQUIREMENT, plugin
from tests.shapes.texts import toml_list
from tests.shapes.tree import group_loop

PLUGINS = (
    "openai", "anthropic", "google-genai", "vertex-ai", "ollama", "mistral", "cohere", "groq",
    "bedrock", "azure-openai", "huggingface", "deepseek", "xai", "perplexity", "together",
    "fireworks", "cerebras", "voyage", "pinecone", "weaviate", "chroma", "qdrant",
    "postgres-vector", "redis-memory", "firestore", "cloud-sql-postgres", "evaluators", "mcp",
    "google-cloud-observability", "vertex-ai-model-garden-proxy",
)
INTEGRATIONS = ("fastapi", "flask", "django", "streamlit", "langchain-bridge", "llamaindex-bridge",
                "opentelemetry-exporter", "celery-workers")
APPS = ("dev-ui", "eval-runner", "prompt-studio", "trace-viewer", "batch-orchestrator")
BUNDLES = ("starter-kit", "enterprise-bundle", "full-stack-reference-application")
SAMPLE_COUNT = 12
LONGEST = 40


def _dist(prefix: str, word: str) -> str:
    return f"core-{prefix}-{word}" if prefix else f"core-{word}"


def large_workspace(shape: Shape) -> None:
    """Levels: core; 30 plugins; 8 integrations on two plugins each; 5 apps on two integrations;
    3 bundles on the apps (the critical path is five long)."""
    plugins = [plugin(shape, word).expected.name for word in PLUGINS]
    core = shape.pending[CORE]
    core.add_extra("openai", [plugins[0]])
    core.add_extra("all", [f"{name}>=0.7" for name in plugins[:6]])
    integrations = []
    for index, word in enumerate(INTEGRATIONS):
        picks = [plugins[(2 * index) % len(plugins)], plugins[(2 * index + 1) % len(plugins)]]
        integrations.append(_member(shape, "integrations", "integration", word, picks))
    apps = [_member(shape, "apps", "", word, [integrations[i % 8], integrations[(i + 3) % 8]])
            for i, word in enumerate(APPS)]
    for index, word in enumerate(BUNDLES):
        _member(shape, "bundles", "", word, apps[index:index + 3])
    for number in range(1, SAMPLE_COUNT + 1):
        shape.add(
            f"samples/s{number:02d}", f"sample-{number:02d}-{PLUGINS[number].replace('-', '')}",
            version="0.1.0", deps=[CORE_REQUIREMENT, f"{plugins[number]}>=0.7"],
            imports=[CORE, plugins[number].replace("-", "_")], license=None, typed=False, marker=False,
            publish=False, why_not="exclude",
        )
    shape.config.append(f"exclude = {toml_list(['samples/*'])}")
    group_loop(shape)
    too_long = [name for name in shape.pending if len(name) > LONGEST]
    if too_long:
        raise AssertionError(f"names longer than {LONGEST} characters: {too_long}")


def _member(shape: Shape, folder: str, prefix: str, word: str, needs: list[str]) -> str:
    name = _dist(prefix, word)
    shape.add(f"{folder}/{word}", name, deps=[f"{n}>=0.7" for n in needs],
              imports=[n.replace("-", "_") for n in needs])
    return name
