#!/usr/bin/env node
// The `gatehouse` executable. The CLI itself is compiled TypeScript in dist/; this file only
// loads it, and says what to do when the package has not been built yet.
try {
  await import("../dist/cli.js");
} catch (error) {
  if (error?.code === "ERR_MODULE_NOT_FOUND" && String(error.message).includes("dist/cli.js")) {
    process.stderr.write('gatehouse: the CLI is not built; run "npm run build" first.\n');
    process.exit(1);
  }
  throw error;
}
