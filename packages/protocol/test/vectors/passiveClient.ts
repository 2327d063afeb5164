// Passive-client vectors (mls-implementations test-vectors.md, "Passive Client"):
// join from a Welcome with the given private keys, then follow every epoch's
// proposals and commit, checking the epoch_authenticator after each step.
import { expect } from "vitest";
import {
  bytesToBase64,
  decode,
  joinGroup,
  mlsMessageDecoder,
  processMessage,
  unsafeTestingAuthenticationService,
  wireformats,
  type CiphersuiteImpl,
  type ClientState,
  type MlsFramedMessage,
  type MlsMessage,
} from "ts-mls";
import { hex } from "./common.js";
import { ratchetTreeDecoder } from "./tsMlsInternals.js";

export interface PassiveClientVector {
  cipher_suite: number;
  external_psks: { psk_id: string; psk: string }[];
  key_package: string;
  signature_priv: string;
  encryption_priv: string;
  init_priv: string;
  welcome: string;
  ratchet_tree: string | null;
  initial_epoch_authenticator: string;
  epochs: { proposals: string[]; commit: string; epoch_authenticator: string }[];
}

function message(bytes: string): MlsMessage {
  const m = decode(mlsMessageDecoder, hex(bytes));
  if (m === undefined) throw new Error("undecodable MLSMessage");
  return m;
}

function framed(bytes: string): MlsFramedMessage {
  const m = message(bytes);
  if (m.wireformat !== wireformats.mls_public_message && m.wireformat !== wireformats.mls_private_message) {
    throw new Error(`expected a framed message, got wireformat ${m.wireformat}`);
  }
  return m;
}

/** Runs one passive-client vector; returns how many epochs were followed. */
export async function runPassiveClient(v: PassiveClientVector, cs: CiphersuiteImpl): Promise<number> {
  const kp = message(v.key_package);
  const welcome = message(v.welcome);
  if (kp.wireformat !== wireformats.mls_key_package || welcome.wireformat !== wireformats.mls_welcome) {
    throw new Error("expected a KeyPackage and a Welcome");
  }
  const externalPsks = Object.fromEntries(v.external_psks.map((p) => [bytesToBase64(hex(p.psk_id)), hex(p.psk)]));
  const context = { cipherSuite: cs, authService: unsafeTestingAuthenticationService, externalPsks };
  const ratchetTree = v.ratchet_tree === null ? undefined : decode(ratchetTreeDecoder, hex(v.ratchet_tree));

  let state: ClientState = await joinGroup({
    context,
    welcome: welcome.welcome,
    keyPackage: kp.keyPackage,
    privateKeys: {
      initPrivateKey: hex(v.init_priv),
      hpkePrivateKey: hex(v.encryption_priv),
      signaturePrivateKey: hex(v.signature_priv),
    },
    ...(ratchetTree === undefined ? {} : { ratchetTree }),
  });
  expect(state.keySchedule.epochAuthenticator).toEqual(hex(v.initial_epoch_authenticator));

  for (const [i, epoch] of v.epochs.entries()) {
    for (const p of epoch.proposals) {
      state = (await processMessage({ context, state, message: framed(p) })).newState;
    }
    state = (await processMessage({ context, state, message: framed(epoch.commit) })).newState;
    expect(state.keySchedule.epochAuthenticator, `epoch ${i + 1}`).toEqual(hex(epoch.epoch_authenticator));
  }
  return v.epochs.length;
}
