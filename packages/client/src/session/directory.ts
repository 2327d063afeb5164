/**
 * The client's view of the server's device directory, used as the MLS authentication service
 * (RFC 9420 §5.3.1): a credential is trusted only if the directory lists that device with that key.
 */
import { fromB64, toB64, type DeviceIdentity } from "@safelight/protocol";
import { SafelightError } from "../errors.js";
import type { AccountInfo, Api } from "../transport/api.js";
import type { ClientStore, KnownAccount } from "../store/types.js";
import type { KeyTransparency } from "./keyTransparency.js";

export class Directory {
  constructor(
    private readonly api: Api,
    private readonly store: ClientStore,
    private readonly kt: KeyTransparency,
  ) {}

  /** Keeps an answer only once every device key in it is proven in the key-transparency log. */
  private async checked(answer: AccountInfo): Promise<KnownAccount> {
    await this.kt.checkDirectory(answer.accountId, answer.devices, answer.kt);
    const account = { accountId: answer.accountId, name: answer.name, devices: answer.devices };
    await this.store.saveAccount(account);
    return account;
  }

  async byName(name: string): Promise<KnownAccount> {
    const account = await this.api.accountByName(name.toLowerCase()).catch((err: unknown) => {
      if (err instanceof SafelightError && err.status === 404) {
        throw new SafelightError("SL_CLIENT_UNKNOWN_ACCOUNT", `no account named ${name}`, 404);
      }
      throw err;
    });
    return this.checked(account);
  }

  async byId(accountId: string, refresh = false): Promise<KnownAccount> {
    const cached = refresh ? undefined : await this.store.getAccount(accountId);
    if (cached) return cached;
    return this.checked(await this.api.account(accountId));
  }

  async nameOf(accountId: string): Promise<string> {
    try {
      return (await this.byId(accountId)).name;
    } catch {
      return accountId;
    }
  }

  /** True when the directory lists this device with exactly this signature key; refetches once on a miss
   *  so newly linked devices are seen. */
  async vouches(who: DeviceIdentity, signatureKey: Uint8Array): Promise<boolean> {
    const wanted = toB64(signatureKey);
    for (const refresh of [false, true]) {
      let account: KnownAccount;
      try {
        account = await this.byId(who.accountId, refresh);
      } catch (err) {
        if (err instanceof SafelightError && err.status === 404) return false;
        throw err;
      }
      const device = account.devices.find((d) => d.deviceId === who.deviceId);
      if (device && fromB64(device.signatureKey) && device.signatureKey === wanted) return true;
    }
    return false;
  }
}
