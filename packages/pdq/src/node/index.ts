// "@safelight/pdq/node": what needs Node — image decoding (sharp, libvips) and hash-list files.
// The pure core is "@safelight/pdq" (src/index.ts).
export { DEFAULT_MAX_PIXELS, type DecodeOptions, ImageInputError, decodeFile, decodeImage, hashFile } from "./decode.js";
export { HashListError, importHashListFile, loadHashList, readHashListFile, writeHashListFile } from "./lists.js";
