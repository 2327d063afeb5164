// The PDQ core: pixels or luma in, hash and quality out; distance; the MIH index; hash-list codecs over
// bytes and strings. No I/O and no native module, so it runs in the browser too (lint keeps it so).
// Image decoding (sharp) and file access are in the node entry, "@safelight/pdq/node" (src/node/).
export { type Hash256, HASH_HEX_LENGTH, HASH_WORDS, hashFromHex, hashToHex, hexProblem, zeroHash, getBit, setBit } from "./hex.js";
export { hammingDistance, popcount32 } from "./distance.js";
export { lumaFromGrey, lumaFromRgb } from "./luminance.js";
export { box4, boxAlongCols, boxAlongRows, boxPhases, decimate, jaroszFilter, jaroszWindowSize } from "./jarosz.js";
export { dct64To16 } from "./dct.js";
export { qualityMetric } from "./quality.js";
export { bitsFromDct, lowerMedian } from "./threshold.js";
export { DIHEDRAL_NAMES, type DihedralName, transformDct } from "./dihedral.js";
export {
  MIN_HASHABLE_DIM,
  type DihedralHashes,
  type PdqDetail,
  type PdqResult,
  dihedralFromDetail,
  pdqDetailFromLuma,
  pdqFromLuma,
} from "./pdq.js";
export { type RawImage, lumaFromImage, squashNearest } from "./image.js";
export { isPnm, parsePnm } from "./pnm.js";
export { cmykToRgb } from "./cmyk.js";
export { type HashImageOptions, type ImageHash, hashImage } from "./hashImage.js";
export { HashStore, countDistinct, hashToWords32 } from "./index/store.js";
export { DEFAULT_MATCH_DISTANCE, type HashIndex, type Match } from "./index/match.js";
export { BruteForceIndex, scanRange } from "./index/bruteforce.js";
export { MAX_MIH_RADIUS, MihIndex, type MihOptions, type MihStats } from "./index/mih.js";
export { type CsvRow, DelimitedParser, detectDelimiter, parseDelimited } from "./lists/csv.js";
export { HashListImporter, type ImportResult, type ImportedRow, type RowError, addImported, importHashList } from "./lists/import.js";
export { HashList, type ListEntry, type ListEntryInput, type ListStats, type Provenance } from "./lists/hashlist.js";
export { LIST_MAGIC, decodeHashList, encodeHashList, isHashListFile } from "./lists/binary.js";
export { crc32 } from "./lists/crc32.js";
