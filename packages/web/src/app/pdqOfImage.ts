/**
 * The PDQ hash of a picture, computed on this device by the same core the server matches with
 * (@safelight/pdq, docs/pdq.md). The browser decodes; its pixels go through the core's own RGB → luma
 * conversion. Like the server's decoder: no colour-profile conversion and no premultiplied alpha
 * (fully transparent pixels still come back black from a canvas, where the server keeps their colour).
 */
import { hashImage, hashToHex } from "@safelight/pdq";

export interface DevicePdq {
  hex: string;
  /** 0–100; below 50 the reference does not trust a hash for matching. */
  quality: number;
}

export async function pdqOfImage(image: Blob): Promise<DevicePdq> {
  const bitmap = await createImageBitmap(image, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  try {
    const context = new OffscreenCanvas(bitmap.width, bitmap.height).getContext("2d");
    if (!context) throw new Error("this browser has no 2D canvas");
    context.drawImage(bitmap, 0, 0);
    const { width, height, data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    const { hash, quality } = hashImage({ width, height, channels: 4, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
    return { hex: hashToHex(hash), quality };
  } finally {
    bitmap.close();
  }
}
