// Passive-client vectors, all three files, every vector (no sampling):
// passive-client-welcome (joins from varied Welcomes), passive-client-handling-commit
// (every kind of proposal and commit) and passive-client-random (200 random epochs).
import { describeVectors, loadVectors } from "./common.js";
import { runPassiveClient, type PassiveClientVector } from "./passiveClient.js";

for (const file of ["passive-client-welcome", "passive-client-handling-commit", "passive-client-random"]) {
  await describeVectors(file, loadVectors<PassiveClientVector>(`${file}.json`), {
    "": async ({ vector, cs }) => {
      await runPassiveClient(vector, cs);
    },
  });
}
