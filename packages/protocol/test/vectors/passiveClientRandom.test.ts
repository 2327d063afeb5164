// passive-client-random.json: a long random run of epochs (200 commits).
import { describe, expect, it } from "vitest";
import { casesFor, loadVectors, providers } from "./common.js";
import { runPassiveClient, type PassiveClientVector } from "./passiveClient.js";

const vectors = loadVectors<PassiveClientVector>("passive-client-random.json");

for (const { name, provider } of providers) {
  const cases = await casesFor(provider, vectors);
  describe(`passive-client-random [${name}]`, () => {
    it("includes ciphersuite 1", () => expect(cases.map((c) => c.suite)).toContain(1));
    it.each(cases)("$label", async ({ vector, cs }) => {
      await runPassiveClient(vector, cs);
    });
  });
}
