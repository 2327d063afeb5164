/**
 * One tab per browser profile runs the device: two tabs syncing the same MLS state would race and could
 * reuse a ratchet generation. A Web Lock held for the page's lifetime decides; a second tab waits (and says
 * so) until the first one closes.
 */
const LOCK = "safelight-device";
const forever = () => new Promise<never>(() => undefined);

export async function holdTabLock(onWaiting: () => void): Promise<void> {
  const locks = navigator.locks;
  if (!locks) return;
  const got = await new Promise<boolean>((resolve) => {
    void locks.request(LOCK, { ifAvailable: true }, (lock) => {
      resolve(lock !== null);
      return lock ? forever() : undefined;
    });
  });
  if (got) return;
  onWaiting();
  await new Promise<void>((resolve) => {
    void locks.request(LOCK, () => {
      resolve();
      return forever();
    });
  });
}
