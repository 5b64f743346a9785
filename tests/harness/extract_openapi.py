"""Regenerate tests/data/github_openapi_subset.json from GitHub's OpenAPI description.

The fake GitHub server (tests/harness/github.py) must answer the way GitHub documents:
this script keeps, for each endpoint releasekit calls, only the documented status codes,
the required request fields and the required response fields (with their types, two
levels deep), so the committed fixture stays small and reviewable.

    python tests/harness/extract_openapi.py                  # npm pack @octokit/openapi
    python tests/harness/extract_openapi.py --spec api.github.com.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

PACKAGE = "@octokit/openapi@23.0.2"
MEMBER = "package/generated/api.github.com.json"
OUT = Path(__file__).resolve().parent.parent / "data" / "github_openapi_subset.json"
DEPTH = 2

#: (method, path) of every endpoint releasekit.backends.github calls.
OPERATIONS = [
    ("GET", "/repos/{owner}/{repo}/pulls"),
    ("POST", "/repos/{owner}/{repo}/pulls"),
    ("GET", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("PATCH", "/repos/{owner}/{repo}/pulls/{pull_number}"),
    ("GET", "/repos/{owner}/{repo}/labels/{name}"),
    ("POST", "/repos/{owner}/{repo}/labels"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/labels"),
    ("DELETE", "/repos/{owner}/{repo}/issues/{issue_number}/labels/{name}"),
    ("GET", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("POST", "/repos/{owner}/{repo}/issues/{issue_number}/comments"),
    ("GET", "/repos/{owner}/{repo}/releases/tags/{tag}"),
    ("POST", "/repos/{owner}/{repo}/releases"),
    ("POST", "/repos/{owner}/{repo}/dispatches"),
]


class Spec:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in node:
            ref = node["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"external $ref {ref}")
            target: Any = self.doc
            for part in ref[2:].split("/"):
                target = target[part]
            node = target
            seen += 1
            if seen > 50:
                raise ValueError(f"$ref loop at {ref}")
        return node

    def compact(self, node: dict[str, Any], depth: int) -> dict[str, Any]:
        """Types (`"string|null"` if nullable, `""` = any) and required fields, `depth` deep."""
        node = self.resolve(node)
        if "allOf" in node:
            merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
            for raw_part in node["allOf"]:
                part = self.resolve(raw_part)
                merged["properties"].update(part.get("properties", {}))
                merged["required"] += part.get("required", [])
                if part.get("nullable"):
                    merged["nullable"] = True
            if node.get("nullable"):
                merged["nullable"] = True
            node = merged
        for key in ("anyOf", "oneOf"):
            if key in node:
                types: list[str] = []
                for option in node[key]:
                    for t in self.compact(option, 0)["type"].split("|"):
                        if t and t not in types:
                            types.append(t)
                if node.get("nullable") and "null" not in types:
                    types.append("null")
                return {"type": "|".join(types)}
        kind = node.get("type")
        types = [kind] if kind else []
        if node.get("nullable"):
            types.append("null")
        out: dict[str, Any] = {"type": "|".join(types)}
        if depth > 0 and kind == "object" and node.get("required"):
            props = node.get("properties", {})
            out["required"] = {
                name: self.compact(props.get(name, {}), depth - 1) for name in node["required"]
            }
        if depth > 0 and kind == "array" and "items" in node:
            out["items"] = self.compact(node["items"], depth - 1)
        return out

    def operation(self, method: str, path: str) -> dict[str, Any]:
        op = self.doc["paths"][path][method.lower()]
        responses: dict[str, Any] = {}
        for status, raw_response in sorted(op["responses"].items()):
            response = self.resolve(raw_response)
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            responses[status] = self.compact(schema, DEPTH) if schema else None
        request = None
        body = op.get("requestBody")
        if body:
            schema = self.resolve(body["content"]["application/json"]["schema"])
            request = {
                "required": sorted(schema.get("required", [])),
                "properties": sorted(schema.get("properties", {})),
            }
        return {"operationId": op["operationId"], "responses": responses, "request": request}


def load_spec(spec: Path | None) -> dict[str, Any]:
    if spec is not None:
        return json.loads(spec.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", "--silent", PACKAGE], cwd=tmp, check=True, capture_output=True
        )
        (tarball,) = Path(tmp).glob("*.tgz")
        with tarfile.open(tarball) as archive:
            member = archive.extractfile(MEMBER)
            if member is None:
                raise SystemExit(f"{MEMBER} not found in {tarball.name}")
            return json.loads(member.read())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--spec", type=Path, help="api.github.com.json (default: npm pack the package)"
    )
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    doc = load_spec(args.spec)
    spec = Spec(doc)
    subset = {
        "source": f"npm {PACKAGE} {MEMBER} "
        f"(OpenAPI {doc.get('openapi')}, API {doc['info'].get('version')})",
        "regenerate": "python tests/harness/extract_openapi.py",
        "operations": {f"{m} {p}": spec.operation(m, p) for m, p in OPERATIONS},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(subset, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(
        f"wrote {args.out} ({args.out.stat().st_size} bytes, {len(OPERATIONS)} operations)",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
