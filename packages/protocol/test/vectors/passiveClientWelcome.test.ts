// passive-client-welcome.json: joining from Welcomes of varied groups.
import { describe, expect, it } from "vitest";
import { casesFor, loadVectors, providers } from "./common.js";
import { runPassiveClient, type PassiveClientVector } from "./passiveClient.js";

const vectors = loadVectors<PassiveClientVector>("passive-client-welcome.json");

for (const { name, provider } of providers) {
  const cases = await casesFor(provider, vectors);
  describe(`passive-client-welcome [${name}]`, () => {
    it("includes ciphersuite 1", () => expect(cases.map((c) => c.suite)).toContain(1));
    it.each(cases)("$label", async ({ vector, cs }) => {
      await runPassiveClient(vector, cs);
    });
  });
}
