/**
 * The child-safety policy (docs/safety.md): age bands, contact rules and risk thresholds. The server
 * reads it once at start from a JSON file (`--policy FILE`, else `<dataDir>/safety-policy.json` when
 * present, else the defaults below). A file may give any subset; the rest keeps its default.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

export type AgeBand = "child" | "teen" | "adult";
/** Who may start a conversation with an account (the account's own choice, docs/safety.md). */
export type InboundSetting = "everyone" | "teens" | "contacts";
export type RiskSignal = "distinct-teens-requested" | "requests-declined-or-blocked" | "reports-received" | "new-account-requests";
export type RiskAction = "restrict-teen-contact" | "notify-recipients" | "review" | "rate-limit";

export interface RiskRule {
  /** Stable name, shown in the actions log. */
  name: string;
  signal: RiskSignal;
  windowHours: number;
  /** The rule fires when the count in the window is strictly greater than this. */
  threshold: number;
  /** `new-account-requests` only: accounts younger than this count as new. */
  accountAgeHours?: number;
  /** `requests-declined-or-blocked` only: also require refused / distinct requests ≥ this (0–1). */
  minRate?: number;
  actions: RiskAction[];
}

export interface SafetyPolicy {
  /** Under `childUnder` years: child; under `adultFrom`: teen; else adult. Differs by country. */
  ages: { childUnder: number; adultFrom: number };
  /** Child accounts: only "refuse" (registration is refused) is implemented. */
  children: "refuse";
  /** May an adult send a message request to a teen who is not a contact? "refuse" (default) or "request". */
  adultToTeen: "refuse" | "request";
  /** Inbound setting of accounts that never chose one, by age band. */
  defaultInbound: { teen: InboundSetting; adult: InboundSetting };
  /** Requests a `rate-limit`ed account may start per rolling 24 hours. */
  rateLimitedRequestsPerDay: number;
  rules: RiskRule[];
}

export const DEFAULT_POLICY: SafetyPolicy = {
  ages: { childUnder: 13, adultFrom: 18 },
  children: "refuse",
  adultToTeen: "refuse",
  defaultInbound: { teen: "everyone", adult: "everyone" },
  rateLimitedRequestsPerDay: 3,
  rules: [
    {
      name: "adult-mass-contacts-teens",
      signal: "distinct-teens-requested",
      windowHours: 24,
      threshold: 5,
      actions: ["restrict-teen-contact", "notify-recipients", "review"],
    },
    {
      name: "requests-mostly-refused",
      signal: "requests-declined-or-blocked",
      windowHours: 7 * 24,
      threshold: 5,
      minRate: 0.5,
      actions: ["rate-limit", "review"],
    },
    {
      name: "reported-repeatedly",
      signal: "reports-received",
      windowHours: 7 * 24,
      threshold: 2,
      actions: ["restrict-teen-contact", "review"],
    },
    {
      name: "new-account-mass-contact",
      signal: "new-account-requests",
      windowHours: 24,
      accountAgeHours: 72,
      threshold: 20,
      actions: ["rate-limit", "review"],
    },
  ],
};

const SIGNALS: RiskSignal[] = ["distinct-teens-requested", "requests-declined-or-blocked", "reports-received", "new-account-requests"];
const ACTIONS: RiskAction[] = ["restrict-teen-contact", "notify-recipients", "review", "rate-limit"];
const INBOUND: InboundSetting[] = ["everyone", "teens", "contacts"];

function fail(where: string, what: string): never {
  throw new Error(`safety policy: ${where} ${what}`);
}

function positive(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) fail(where, "must be a non-negative number");
  return v;
}

/** Merges a parsed policy file over the defaults and checks every field; throws naming the bad one. */
export function resolvePolicy(input: unknown): SafetyPolicy {
  if (input === undefined) return DEFAULT_POLICY;
  if (typeof input !== "object" || input === null || Array.isArray(input)) fail("file", "must hold a JSON object");
  const p = input as Record<string, unknown>;
  const known = ["ages", "children", "adultToTeen", "defaultInbound", "rateLimitedRequestsPerDay", "rules", "$comment"];
  for (const k of Object.keys(p)) if (!known.includes(k)) fail(k, "is not a policy field");
  const ages = { ...DEFAULT_POLICY.ages, ...(p.ages as object | undefined) };
  positive(ages.childUnder, "ages.childUnder");
  positive(ages.adultFrom, "ages.adultFrom");
  if (ages.childUnder > ages.adultFrom) fail("ages", "childUnder must not exceed adultFrom");
  const children = p.children ?? DEFAULT_POLICY.children;
  if (children !== "refuse") fail("children", 'must be "refuse"');
  const adultToTeen = p.adultToTeen ?? DEFAULT_POLICY.adultToTeen;
  if (adultToTeen !== "refuse" && adultToTeen !== "request") fail("adultToTeen", 'must be "refuse" or "request"');
  const defaultInbound = { ...DEFAULT_POLICY.defaultInbound, ...(p.defaultInbound as object | undefined) };
  for (const band of ["teen", "adult"] as const) {
    if (!INBOUND.includes(defaultInbound[band])) fail(`defaultInbound.${band}`, `must be one of ${INBOUND.join(", ")}`);
  }
  const rateLimitedRequestsPerDay = positive(p.rateLimitedRequestsPerDay ?? DEFAULT_POLICY.rateLimitedRequestsPerDay, "rateLimitedRequestsPerDay");
  const rules = (p.rules ?? DEFAULT_POLICY.rules) as unknown;
  if (!Array.isArray(rules)) fail("rules", "must be an array");
  rules.forEach((r: Record<string, unknown>, i) => {
    const where = `rules[${i}]`;
    if (typeof r !== "object" || r === null) fail(where, "must be an object");
    if (typeof r.name !== "string" || r.name === "") fail(`${where}.name`, "must be a non-empty string");
    if (!SIGNALS.includes(r.signal as RiskSignal)) fail(`${where}.signal`, `must be one of ${SIGNALS.join(", ")}`);
    positive(r.windowHours, `${where}.windowHours`);
    positive(r.threshold, `${where}.threshold`);
    if (r.accountAgeHours !== undefined) positive(r.accountAgeHours, `${where}.accountAgeHours`);
    if (r.minRate !== undefined && (positive(r.minRate, `${where}.minRate`) > 1)) fail(`${where}.minRate`, "must be at most 1");
    if (!Array.isArray(r.actions) || !r.actions.every((a) => ACTIONS.includes(a as RiskAction))) {
      fail(`${where}.actions`, `must list actions from ${ACTIONS.join(", ")}`);
    }
  });
  return {
    ages,
    children,
    adultToTeen,
    defaultInbound,
    rateLimitedRequestsPerDay,
    rules: rules as RiskRule[],
  } as SafetyPolicy;
}

/** `--policy FILE`, else `<dataDir>/safety-policy.json` if it exists, else the defaults. */
export function loadPolicy(file: string | undefined, dataDir: string): SafetyPolicy {
  const path = file ?? join(dataDir, "safety-policy.json");
  if (file === undefined && !existsSync(path)) return DEFAULT_POLICY;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`safety policy: cannot read ${path}: ${(err as Error).message}`);
  }
  return resolvePolicy(parsed);
}

/** Whole years between a YYYY-MM-DD birthdate and `now` (UTC calendar). */
export function ageInYears(birthdate: string, now: number): number {
  const [y, m, d] = birthdate.split("-").map(Number) as [number, number, number];
  const today = new Date(now);
  let age = today.getUTCFullYear() - y;
  const month = today.getUTCMonth() + 1;
  if (month < m || (month === m && today.getUTCDate() < d)) age--;
  return age;
}

/**
 * Age assurance hook: today the band comes from the birthdate the account declared at registration.
 * A stronger signal (an age-estimation or ID check result stored per account) plugs in here: replace
 * or wrap this function; every rule asks for the band through it.
 */
export type AgeAssurance = (account: { accountId: string; birthdate: string }, now: number) => number;
export const declaredAge: AgeAssurance = (account, now) => ageInYears(account.birthdate, now);

export function bandOf(age: number, policy: SafetyPolicy): AgeBand {
  if (age < policy.ages.childUnder) return "child";
  if (age < policy.ages.adultFrom) return "teen";
  return "adult";
}
