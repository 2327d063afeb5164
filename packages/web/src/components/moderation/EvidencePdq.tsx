/** An evidence picture's PDQ hash recomputed in the moderator's browser (the same core the server matches
 *  with), beside the hash the server recorded when it checked the file: a distance of a few bits says the
 *  picture on screen is the one that was checked. Lossless formats agree bit for bit; for lossy ones the
 *  browser's and the server's decoders may differ by a few bits (docs/pdq.md, "In the browser"). */
import { useEffect, useState } from "react";
import { hammingDistance, hashFromHex } from "@safelight/pdq";
import { describeError } from "../../app/errors.js";
import { type DevicePdq, pdqOfImage } from "../../app/pdqOfImage.js";

function comparison(device: DevicePdq, serverPdq: string | null): string {
  if (serverPdq === null) return "the server could not decode this file";
  const distance = hammingDistance(hashFromHex(device.hex), hashFromHex(serverPdq));
  return distance === 0 ? "bit for bit the hash the server recorded" : `${distance} of 256 bits from the hash the server recorded`;
}

export function EvidencePdq({ image, serverPdq }: { image: Blob; serverPdq: string | null }) {
  const [device, setDevice] = useState<DevicePdq>();
  const [error, setError] = useState("");
  useEffect(() => {
    let gone = false;
    pdqOfImage(image).then(
      (result) => !gone && setDevice(result),
      (err) => !gone && setError(describeError(err)),
    );
    return () => void (gone = true);
  }, [image]);
  if (error) return <p className="file-error">PDQ could not be computed in this browser: {error}</p>;
  if (!device) return <p className="hint">Computing the PDQ hash in this browser…</p>;
  return (
    <p className="evidence-pdq" data-testid="evidence-pdq">
      PDQ in this browser: <code>{device.hex}</code>, quality {device.quality}; {comparison(device, serverPdq)}.
    </p>
  );
}
