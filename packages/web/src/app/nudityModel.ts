/**
 * The nudity classifier: nsfwjs's MobileNetV2 on TensorFlow.js, run in this page (docs/image-safety.md).
 * Imported only on first use, so TensorFlow.js and the weights (which nsfwjs ships inside the package, and
 * Vite turns into our own asset files) stay out of the messenger's main chunk. Nothing here touches the network
 * beyond loading those files from our own server.
 */
import * as tf from "@tensorflow/tfjs";
import { load } from "nsfwjs/core";
import { MobileNetV2Model } from "nsfwjs/models/mobilenet_v2";

export interface NudityClassifier {
  /** The TensorFlow.js backend that runs it here ("webgl", or "cpu" where the browser has no WebGL). */
  readonly backend: string;
  /** P(Porn) + P(Hentai) for a 224×224 picture. */
  score(pixels: ImageData): Promise<number>;
}

/** nsfwjs's five classes; "Sexy" (swimwear, underwear, suggestive poses) is left out of the score on purpose:
 *  the warning is about nudity, and counting it would blur ordinary beach photos. */
const NUDITY_CLASSES = new Set(["Porn", "Hentai"]);

export async function loadNudityClassifier(): Promise<NudityClassifier> {
  // Production mode skips TensorFlow.js's per-op debug checks.
  tf.enableProdMode();
  await tf.ready();
  const model = await load("MobileNetV2", { modelDefinitions: [MobileNetV2Model] });
  return {
    backend: tf.getBackend(),
    async score(pixels) {
      const classes = await model.classify(pixels, 5);
      return classes.filter((c) => NUDITY_CLASSES.has(c.className)).reduce((sum, c) => sum + c.probability, 0);
    },
  };
}
