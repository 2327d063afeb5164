/** `safelight server --limit name=value`: the limit reaches the running server; unknown names are refused. */
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { cleanup, ok, run, ServerProcess, tempDir } from "./harness.js";

const dir = tempDir("safelight-limits-");
const server = new ServerProcess(join(dir, "data"), ["--limit", "registrationBurst=1", "--limit", "registrationPerHour=0.001"]);
afterAll(async () => {
  await server.kill();
  cleanup(dir);
});

it("applies --limit registrationBurst=1 to registrations from this address", async () => {
  await server.start();
  const register = (name: string) => ["--profile", join(dir, name), "register", "--server", server.url, "--name", name, "--birthdate", "1990-01-01"];
  await ok(register("first"));
  const second = await run(register("second"));
  expect(second.code).not.toBe(0);
  expect(second.stderr).toMatch(/too many requests/);
});

it("refuses an unknown limit name", async () => {
  const r = await run(["server", "--data", join(dir, "other"), "--port", "0", "--limit", "noSuchLimit=1"]);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toMatch(/must be name=value with name one of .*blobQuotaBytes/);
});
