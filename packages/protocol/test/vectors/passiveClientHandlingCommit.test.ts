// passive-client-handling-commit.json: join, then process every kind of proposal and commit.
import { describe, expect, it } from "vitest";
import { casesFor, loadVectors, providers } from "./common.js";
import { runPassiveClient, type PassiveClientVector } from "./passiveClient.js";

const vectors = loadVectors<PassiveClientVector>("passive-client-handling-commit.json");

for (const { name, provider } of providers) {
  const cases = await casesFor(provider, vectors);
  describe(`passive-client-handling-commit [${name}]`, () => {
    it("includes ciphersuite 1", () => expect(cases.map((c) => c.suite)).toContain(1));
    it.each(cases)("$label", async ({ vector, cs }) => {
      await runPassiveClient(vector, cs);
    });
  });
}
