/**
 * Who gets likely nudity blurred (docs/image-safety.md): teen accounts always, adults who turn it on. The
 * age band is the server's (it already knows it, docs/safety.md); the adult's choice is kept in this
 * browser's localStorage and never sent anywhere.
 */
export type AgeBand = "child" | "teen" | "adult";

/** Its own change notifications (not the session's), so turning it on re-renders the pictures and nothing
 *  else: no refresh, no request. */
export class ImageProtection {
  private readonly key: string;
  private optedIn: boolean;
  private band: AgeBand;
  private readonly listeners = new Set<() => void>();

  constructor(accountId: string) {
    this.key = `safelight.imageProtection.${accountId}`;
    let saved: { ageBand?: AgeBand; adultOptIn?: boolean } = {};
    try {
      saved = JSON.parse(localStorage.getItem(this.key) ?? "{}") as typeof saved;
    } catch {
      // A damaged entry: start again from the defaults.
    }
    this.optedIn = saved.adultOptIn === true;
    // Until the server has answered once, assume the protected band: a teen is never shown an unchecked image.
    this.band = saved.ageBand ?? "teen";
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  get ageBand(): AgeBand {
    return this.band;
  }

  /** Teens (and a "child", which registration refuses but a birthday can't produce) cannot turn it off. */
  get required(): boolean {
    return this.band !== "adult";
  }

  get on(): boolean {
    return this.required || this.optedIn;
  }

  /** The band the server reports for the account (it changes on the 18th birthday). */
  setAgeBand(band: string): void {
    this.band = band === "adult" || band === "child" ? band : "teen";
    this.save();
  }

  /** An adult's opt-in; ignored for teens, for whom it is always on. */
  setOptIn(on: boolean): void {
    this.optedIn = on;
    this.save();
  }

  private save(): void {
    localStorage.setItem(this.key, JSON.stringify({ ageBand: this.band, adultOptIn: this.optedIn }));
    for (const l of this.listeners) l();
  }
}
