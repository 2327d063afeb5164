import type { ServerConfig } from "./config.js";
import type { DetectionService } from "./detection/service.js";
import type { FrankingService } from "./franking.js";
import type { KeyTransparencyLog } from "./keyTransparency.js";
import type { RateLimits } from "./backends.js";
import type { Notifier } from "./realtime/notifier.js";
import type { SafetyService } from "./safety/service.js";
import type { Storage } from "./storage/types.js";

/** What route modules need, passed explicitly instead of hanging off the Fastify instance. */
export interface ServerContext {
  config: ServerConfig;
  storage: Storage;
  notifier: Notifier;
  rateLimits: RateLimits;
  franking: FrankingService;
  /** The key-transparency log (docs/key-transparency.md). */
  keyTransparency: KeyTransparencyLog;
  /** Child-safety rules (docs/safety.md). */
  safety: SafetyService;
  /** Known-image detection, evidence, authority reports (docs/known-images.md). */
  detection: DetectionService;
}
