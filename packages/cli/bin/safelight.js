#!/usr/bin/env -S node --max-semi-space-size=64
// Thin launcher: the CLI is written in TypeScript and compiled to dist/ by `npm install` (prepare).
// The young generation may grow to 64 MiB per semi-space (Node 20's default is 16): the server allocates
// short-lived objects for every message, and fewer scavenges measurably raise its throughput
// (docs/server.md, "Runtime"; docs/benchmarks.md). It only grows under load.
import { main } from "../dist/main.js";

// `safelight … | head` closes the pipe early: that is the reader's choice, not an error.
process.stdout.on("error", (err) => {
  if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw err;
});

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`safelight: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
