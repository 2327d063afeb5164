#!/usr/bin/env node
// Thin launcher: the CLI is written in TypeScript and compiled to dist/ by `npm install` (prepare).
import { main } from "../dist/main.js";

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`safelight: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
