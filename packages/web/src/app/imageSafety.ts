/**
 * Checks a decrypted picture for likely nudity on this device, before it is shown or sent
 * (docs/image-safety.md). The classifier loads on the first picture that needs it; pictures are checked one
 * at a time. The score and the verdict stay in this page: nothing about them is stored or sent.
 */
import type { NudityClassifier } from "./nudityModel.js";

/** A picture scoring at or above this (P(Porn) + P(Hentai)) is treated as likely nudity. */
export const NUDITY_THRESHOLD = 0.5;
/** Test-only: a localStorage value here lowers the threshold, so tests can send the real classifier's
 *  verdicts down the "likely nudity" path with ordinary pictures. Not a setting the app offers, and only
 *  ever stricter: a value at or above the real threshold is ignored, so it cannot turn protection off. */
export const TEST_THRESHOLD_KEY = "safelight.test-only.nudityThreshold";

/** The model's input side (nsfwjs's MobileNetV2 takes 224×224). */
const MODEL_INPUT_SIZE = 224;
/** User Timing names (entries in this page's memory only): what `npm run bench:nsfw` and the tests read. */
export const TIMING = { load: "safelight:nudity-model-load", decode: "safelight:image-decode", classify: "safelight:nudity-classify" } as const;

export type ImageVerdict = { kind: "clear" | "likely-nudity"; score: number } | { kind: "unchecked"; reason: string };

export function nudityThreshold(): number {
  const override = localStorage.getItem(TEST_THRESHOLD_KEY);
  const value = override === null ? NaN : Number(override);
  return value >= 0 && value < NUDITY_THRESHOLD ? value : NUDITY_THRESHOLD;
}

let classifier: Promise<NudityClassifier> | undefined;
let queue: Promise<unknown> = Promise.resolve();

/** Runs `work` as a User Timing measure; `detail` (the score, for the classification) stays with the entry. */
async function timed<T>(name: string, work: () => Promise<T>, detail?: (result: T) => unknown): Promise<T> {
  const start = performance.now();
  const result = await work();
  performance.measure(name, { start, end: performance.now(), detail: detail?.(result) });
  return result;
}

function loadClassifier(): Promise<NudityClassifier> {
  classifier ??= timed(TIMING.load, async () => (await import("./nudityModel.js")).loadNudityClassifier());
  // A failed load (e.g. a lost connection while fetching the weights) is retried by the next picture.
  classifier.catch(() => (classifier = undefined));
  return classifier;
}

/** The picture decoded by the browser and stretched to the model's input, as nsfwjs itself resizes. */
async function modelInput(image: Blob): Promise<ImageData> {
  const size = MODEL_INPUT_SIZE;
  const bitmap = await createImageBitmap(image, { resizeWidth: size, resizeHeight: size, resizeQuality: "high" });
  try {
    const context = new OffscreenCanvas(size, size).getContext("2d");
    if (!context) throw new Error("this browser has no 2D canvas");
    context.drawImage(bitmap, 0, 0);
    return context.getImageData(0, 0, size, size);
  } finally {
    bitmap.close();
  }
}

async function checkNow(image: Blob, name: string): Promise<ImageVerdict> {
  try {
    const model = await loadClassifier();
    const pixels = await timed(TIMING.decode, () => modelInput(image));
    const score = await timed(TIMING.classify, () => model.score(pixels), (score) => ({ name, score, backend: model.backend }));
    return { kind: score >= nudityThreshold() ? "likely-nudity" : "clear", score };
  } catch (err) {
    return { kind: "unchecked", reason: (err as Error).message };
  }
}

/** The verdict on one picture (`name` labels its timing entry); pictures queue behind each other so a
 *  conversation full of them does not run many classifications at once. */
export function checkImage(image: Blob, name: string): Promise<ImageVerdict> {
  const verdict = queue.then(() => checkNow(image, name));
  queue = verdict;
  return verdict;
}
