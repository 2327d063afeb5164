/**
 * Browser notifications for arriving messages (the Notification API). The browser shows them on this device,
 * from text the page has already decrypted, so the server learns nothing new. The settings are UI state, kept
 * in localStorage like the read marks.
 */
import type { ReceivedMessage } from "@safelight/client";

export interface NotifySettings {
  on: boolean;
  /** Show "New message" instead of the text (for a screen others can see). */
  hideText: boolean;
}

const KEY = "safelight.notifications";
export const HIDDEN_BODY = "New message";

export class Notifier {
  settings: NotifySettings;
  /** The conversation on screen: its messages need no notification while the tab is visible. */
  openConversation: string | undefined;

  constructor() {
    try {
      this.settings = { on: false, hideText: false, ...(JSON.parse(localStorage.getItem(KEY) ?? "{}") as Partial<NotifySettings>) };
    } catch {
      this.settings = { on: false, hideText: false };
    }
  }

  get supported(): boolean {
    return typeof Notification !== "undefined";
  }

  /** Turning notifications on is when the browser asks for permission (never on load); refused means off. */
  async set(settings: NotifySettings): Promise<void> {
    const granted = !settings.on || (this.supported && (await Notification.requestPermission()) === "granted");
    this.settings = { ...settings, on: settings.on && granted };
    localStorage.setItem(KEY, JSON.stringify(this.settings));
  }

  onMessage(m: ReceivedMessage): void {
    if (!this.settings.on || !this.supported || Notification.permission !== "granted") return;
    if (document.visibilityState === "visible" && m.conversation === this.openConversation) return;
    const shown = new Notification(m.from, { body: this.settings.hideText ? HIDDEN_BODY : m.text });
    // Clicking it brings the tab forward on the conversation (Messenger follows the URL hash).
    shown.onclick = () => {
      focus();
      location.hash = `#/c/${m.conversation}`;
    };
  }
}
