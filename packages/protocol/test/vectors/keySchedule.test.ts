// key-schedule.json: GroupContext encoding and every epoch secret (RFC 9420 §8,
// §8.5 exporter, §8.4 external_pub), chained over epochs from initial_init_secret.
import { describe, expect, it } from "vitest";
import { encode, mlsExporter } from "ts-mls";
import { describeVectors, hex, loadVectors } from "./common.js";
import { groupContextEncoder, initializeEpoch, type GroupContext } from "./tsMlsInternals.js";

interface Epoch {
  tree_hash: string;
  commit_secret: string;
  psk_secret: string;
  confirmed_transcript_hash: string;
  group_context: string;
  joiner_secret: string;
  welcome_secret: string;
  init_secret: string;
  sender_data_secret: string;
  encryption_secret: string;
  exporter_secret: string;
  epoch_authenticator: string;
  external_secret: string;
  confirmation_key: string;
  membership_key: string;
  resumption_psk: string;
  external_pub: string;
  exporter: { label: string; context: string; length: number; secret: string };
}
interface KeyScheduleVector {
  cipher_suite: number;
  group_id: string;
  initial_init_secret: string;
  epochs: Epoch[];
}

const vectors = loadVectors<KeyScheduleVector>("key-schedule.json");

await describeVectors("key-schedule", vectors, {
  "": async ({ vector: v, cs }) => {
    let initSecret = hex(v.initial_init_secret);
    for (const [epoch, e] of v.epochs.entries()) {
      const context: GroupContext = {
        version: 1,
        cipherSuite: v.cipher_suite,
        groupId: hex(v.group_id),
        epoch: BigInt(epoch),
        treeHash: hex(e.tree_hash),
        confirmedTranscriptHash: hex(e.confirmed_transcript_hash),
        extensions: [],
      };
      expect(encode(groupContextEncoder, context)).toEqual(hex(e.group_context));

      const secrets = await initializeEpoch(initSecret, hex(e.commit_secret), context, hex(e.psk_secret), cs.kdf);
      const ks = secrets.keySchedule;
      expect(secrets.joinerSecret).toEqual(hex(e.joiner_secret));
      expect(secrets.welcomeSecret).toEqual(hex(e.welcome_secret));
      expect(secrets.encryptionSecret).toEqual(hex(e.encryption_secret));
      expect(ks.initSecret).toEqual(hex(e.init_secret));
      expect(ks.senderDataSecret).toEqual(hex(e.sender_data_secret));
      expect(ks.exporterSecret).toEqual(hex(e.exporter_secret));
      expect(ks.epochAuthenticator).toEqual(hex(e.epoch_authenticator));
      expect(ks.externalSecret).toEqual(hex(e.external_secret));
      expect(ks.confirmationKey).toEqual(hex(e.confirmation_key));
      expect(ks.membershipKey).toEqual(hex(e.membership_key));
      expect(ks.resumptionPsk).toEqual(hex(e.resumption_psk));

      const externalKey = await cs.hpke.deriveKeyPair(ks.externalSecret);
      expect(await cs.hpke.exportPublicKey(externalKey.publicKey)).toEqual(hex(e.external_pub));

      // The vectors' exporter label is the hex text itself, used as the label string.
      const x = e.exporter;
      expect(await mlsExporter(ks.exporterSecret, x.label, hex(x.context), x.length, cs)).toEqual(hex(x.secret));
      initSecret = ks.initSecret;
    }
  },
});
