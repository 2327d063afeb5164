/** Server configuration: every knob with its default, resolved once at start. */

export interface LimitsConfig {
  /** JSON request bodies larger than this are refused with 413 (docs/protocol.md: 1 MiB). */
  maxJsonBytes: number;
  /** Attachments larger than this are refused with 413 while streaming. */
  maxBlobBytes: number;
  /** Token bucket per account: capacity (burst) and refill per second. */
  rateBurst: number;
  ratePerSecond: number;
  /** Token bucket for unauthenticated endpoints, keyed by client address. */
  anonBurst: number;
  anonPerSecond: number;
  /** Registrations (`POST /v1/accounts`) per client address: burst, then this many per hour. */
  registrationBurst: number;
  registrationPerHour: number;
  /** Link codes made per account and redeemed (`POST /v1/devices`) per client address. */
  linkCodeBurst: number;
  linkCodePerHour: number;
  /** Application messages one device sends into one group: burst, then per second. */
  groupSendBurst: number;
  groupSendPerSecond: number;
  /** Bytes of unexpired attachments one account may hold; beyond it uploads get SL_ERR_QUOTA_EXCEEDED. */
  blobQuotaBytes: number;
  /** A request whose headers (or whole request) have not arrived in this long is cut off (slowloris). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
}

export interface ServerConfig {
  dataDir: string;
  /** PostgreSQL connection URL for several nodes on one database; "" = SQLite in `dataDir`. */
  databaseUrl: string;
  /** The PostgreSQL schema the tables live in (created if missing). */
  databaseSchema: string;
  /** NATS URL for the cross-node signals; "" = in-process (one node). */
  natsUrl: string;
  /** Subject prefix shared by the nodes of one deployment. */
  natsPrefix: string;
  /** Redis URL for rate limits shared by every node; "" = each node limits on its own (one node). */
  redisUrl: string;
  /** Key prefix of the shared buckets. */
  redisPrefix: string;
  host: string;
  port: number;
  tokenLifetimeMs: number;
  challengeLifetimeMs: number;
  linkCodeLifetimeMs: number;
  blobRetentionMs: number;
  /** A new franking key pair is made this often (docs/franking.md). */
  frankingKeyRotationMs: number;
  /** Retired franking keys (and delivery records) are kept this long so reports can still be verified. */
  reportWindowMs: number;
  /** How many preceding messages a report may carry. */
  maxReportContext: number;
  /** How often expired blobs, challenges and tokens are swept. */
  sweepIntervalMs: number;
  /** Known-image detection (docs/known-images.md): evidence is deleted this long after it was preserved. */
  evidenceRetentionMs: number;
  /** The moderation key file (AES-256-GCM evidence key); "" = `<dataDir>/moderation.key`. */
  moderationKeyFile: string;
  /** Profile/group pictures: byte and pixel limits, and how long an upload waits for its check. */
  maxPictureBytes: number;
  maxPicturePixels: number;
  pictureCheckWaitMs: number;
  /** Known-image checks also match the image's 3 rotations and 4 mirror images (PDQ's dihedral hashes,
   *  from the same DCT), so a flipped or rotated copy is caught; false = the image as it is only. */
  matchDihedral: boolean;
  limits: LimitsConfig;
}

/** Everything optional; `limits` may be partial too. */
export type ServerOptions = Partial<Omit<ServerConfig, "limits">> & { limits?: Partial<LimitsConfig> };

const DAY = 24 * 60 * 60 * 1000;

export const DEFAULT_CONFIG: ServerConfig = {
  dataDir: "./data",
  databaseUrl: "",
  databaseSchema: "public",
  natsUrl: "",
  natsPrefix: "safelight",
  redisUrl: "",
  redisPrefix: "safelight",
  host: "127.0.0.1",
  port: 8080,
  tokenLifetimeMs: 30 * DAY,
  challengeLifetimeMs: 5 * 60 * 1000,
  linkCodeLifetimeMs: 10 * 60 * 1000,
  blobRetentionMs: 30 * DAY,
  frankingKeyRotationMs: 30 * DAY,
  reportWindowMs: 365 * DAY,
  maxReportContext: 10,
  sweepIntervalMs: 60 * 60 * 1000,
  evidenceRetentionMs: 365 * DAY,
  moderationKeyFile: "",
  maxPictureBytes: 5 * 1024 * 1024,
  maxPicturePixels: 40_000_000,
  pictureCheckWaitMs: 10_000,
  matchDihedral: true,
  limits: {
    maxJsonBytes: 1024 * 1024,
    maxBlobBytes: 25 * 1024 * 1024,
    rateBurst: 2000,
    ratePerSecond: 200,
    anonBurst: 2000,
    anonPerSecond: 200,
    registrationBurst: 1000,
    registrationPerHour: 1000,
    linkCodeBurst: 100,
    linkCodePerHour: 300,
    groupSendBurst: 200,
    groupSendPerSecond: 20,
    blobQuotaBytes: 1024 * 1024 * 1024,
    headersTimeoutMs: 10_000,
    requestTimeoutMs: 120_000,
  },
};

export function resolveConfig(options: ServerOptions = {}): ServerConfig {
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const limits = Object.fromEntries(Object.entries(options.limits ?? {}).filter(([, v]) => v !== undefined));
  return {
    ...DEFAULT_CONFIG,
    ...defined,
    limits: { ...DEFAULT_CONFIG.limits, ...limits },
  };
}
