import { describe, expect, it } from "vitest";
import { ApiError } from "../src/errors.js";
import { StorageError, type StorageFailure } from "../src/storage/storageError.js";
import { asApiError } from "../src/storageErrorCodes.js";

// The wire answer for each storage refusal, as the server gave it before storage had its own error type.
const wire: [StorageFailure, string, number, string, Record<string, unknown>?][] = [
  [{ kind: "name-taken" }, "SL_ERR_NAME_TAKEN", 409, "that name is taken"],
  [{ kind: "key-taken" }, "SL_ERR_KEY_TAKEN", 409, "that signature key belongs to another device"],
  [{ kind: "group-exists" }, "SL_ERR_GROUP_EXISTS", 409, "group id in use"],
  [{ kind: "no-such-group" }, "SL_ERR_NOT_FOUND", 404, "no such group"],
  [{ kind: "not-member" }, "SL_ERR_FORBIDDEN", 403, "not a member of this group"],
  [{ kind: "stale-epoch", currentEpoch: 4 }, "SL_ERR_STALE_EPOCH", 409, "epoch is stale; the group is at epoch 4", { currentEpoch: 4 }],
  [{ kind: "bad-challenge" }, "SL_ERR_BAD_CHALLENGE", 401, "unknown, used or expired challenge"],
  [{ kind: "bad-proof" }, "SL_ERR_BAD_PROOF", 401, "unknown device or bad signature"],
  [{ kind: "bad-link-code" }, "SL_ERR_BAD_LINK_CODE", 400, "unknown, used or expired link code"],
  [{ kind: "commit-sender-mismatch" }, "SL_ERR_BAD_COMMIT", 400, "commit sender leaf is not the caller's leaf"],
  [{ kind: "welcome-required" }, "SL_ERR_BAD_COMMIT", 400, "a commit that adds members needs a welcome"],
  [{ kind: "blank-leaf-removal", leaf: 5 }, "SL_ERR_BAD_COMMIT", 400, "remove of blank leaf 5"],
  [{ kind: "committer-removal" }, "SL_ERR_BAD_COMMIT", 400, "a commit cannot remove its committer"],
  [{ kind: "already-member", deviceId: "d1" }, "SL_ERR_BAD_COMMIT", 400, "device d1 is already a member"],
  [{ kind: "no-such-device" }, "SL_ERR_NOT_FOUND", 404, "no such device on this account"],
];

describe("asApiError", () => {
  it.each(wire)("answers %o with %s", (failure, code, status, message, details) => {
    const api = asApiError(new StorageError(failure));
    expect(api).toBeInstanceOf(ApiError);
    expect({ code: api!.code, status: api!.status, message: api!.message, details: api!.details }).toEqual({ code, status, message, details });
  });

  it("passes an ApiError through and leaves any other error alone", () => {
    const own = new ApiError("SL_ERR_RATE_LIMITED", "too many requests");
    expect(asApiError(own)).toBe(own);
    expect(asApiError(new Error("SQLITE_BUSY"))).toBeUndefined();
  });
});
