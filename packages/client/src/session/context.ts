/**
 * The state the client session's modules share: the store, the attached profile and what is built from it
 * (authenticated API, directory, MLS engine), and the lock. The facade (client.ts) takes the lock for each
 * public call; the modules it calls assume it is held.
 */
import { createEngine, signChallenge, toB64, type Engine } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import { Api } from "../transport/api.js";
import { HttpTransport } from "../transport/http.js";
import type { ClientStore, Profile, StoredGroup } from "../store/types.js";
import { Directory } from "./directory.js";
import { KeyTransparency } from "./keyTransparency.js";
import { Lock } from "./lock.js";
import { ServerKeys } from "./serverKeys.js";
import type { ClientOptions } from "./types.js";

/** Runs an API call with this device's session (SessionContext.authed). */
export type Authed = <T>(call: (api: Api) => Promise<T>) => Promise<T>;

export class SessionContext {
  private profile: Profile | undefined;
  private api: Api | undefined;
  private directory: Directory | undefined;
  private engine: Engine | undefined;
  readonly lock = new Lock();
  /** The server's signing keys (franking stamps and key-transparency heads). */
  readonly serverKeys: ServerKeys;
  readonly kt: KeyTransparency;

  /** `catchUp` processes this device's queue (the sync loop): what a send or commit that lost the epoch
   *  race does before it retries. */
  constructor(
    readonly opts: ClientOptions,
    readonly catchUp: () => Promise<unknown>,
  ) {
    this.serverKeys = new ServerKeys((call) => this.authed(call));
    this.kt = new KeyTransparency((call) => this.authed(call), opts.store, this.serverKeys, () => this.requireProfile());
  }

  /** The clock disappearing messages expire by (ClientOptions.now). */
  now(): number {
    return (this.opts.now ?? Date.now)();
  }

  get store(): ClientStore {
    return this.opts.store;
  }

  get attached(): boolean {
    return this.profile !== undefined;
  }

  async attach(profile: Profile): Promise<void> {
    this.profile = profile;
    this.api = new Api(new HttpTransport({ baseUrl: profile.serverUrl, token: () => this.profile?.token }));
    this.directory = new Directory(this.api, this.opts.store, this.kt);
    const directory = this.directory;
    this.engine = await createEngine({
      ...(this.opts.provider ? { provider: this.opts.provider } : {}),
      checkCredential: (who, key) => directory.vouches(who, key),
    });
  }

  /** The directory and MLS engine exist once a profile is attached; using them before is a clear error. */
  get dir(): Directory {
    this.requireProfile();
    return this.directory!;
  }

  get mls(): Engine {
    this.requireProfile();
    return this.engine!;
  }

  requireProfile(): Profile {
    if (!this.profile) {
      throw new SafelightError("SL_CLIENT_NO_PROFILE", "no account on this profile yet: run register or link-device first");
    }
    return this.profile;
  }

  /** Saves a change to the attached profile (a setting) and keeps it for this session. */
  async updateProfile(change: Partial<Pick<Profile, "readReceipts" | "typingIndicators">>): Promise<void> {
    this.profile = { ...this.requireProfile(), ...change };
    await this.opts.store.saveProfile(this.profile);
  }

  /** Runs an API call, logging in again with the device key once if the token has expired. */
  async authed<T>(call: (api: Api) => Promise<T>): Promise<T> {
    const profile = this.requireProfile();
    const api = this.api!;
    try {
      return await call(api);
    } catch (err) {
      if (!(err instanceof SafelightError) || err.code !== "SL_ERR_UNAUTHENTICATED") throw err;
    }
    const { challenge } = await api.challenge();
    const session = await api.login({
      deviceId: profile.deviceId,
      challenge,
      signature: toB64(signChallenge(profile, "login", challenge)),
    });
    this.profile = { ...profile, token: session.token, tokenExpiresAt: session.expiresAt };
    await this.opts.store.saveProfile(this.profile);
    return call(api);
  }

  /** A conversation this device is still a member of. */
  async requireGroup(groupId: string): Promise<StoredGroup> {
    const group = await this.opts.store.getGroup(groupId);
    if (!group) throw new SafelightError("SL_CLIENT_UNKNOWN_CONVERSATION", `no conversation ${groupId} on this device`);
    if (!group.active) throw new SafelightError("SL_CLIENT_NOT_MEMBER", "you are no longer a member of this conversation");
    return group;
  }
}
