'use strict';
// Writes ../Watchtower.Protocol.Tests/Vectors/channel-transactions.json with the official SDK: a
// 3-party channel's round-3 ratchets and snapshots and its funding transaction, which the .NET
// suite (ChannelVectorTests) rebuilds byte for byte. Keys are ed25519 seeds of repeated bytes:
// wallet i = 10+i, version account i = 20+i, ratchet key i = 30+i (R = ratchet key 0).
// Run: node make-channel-vectors.js
const fs = require('fs');
const path = require('path');
const { Account, Asset, Keypair, Networks, Operation, TransactionBuilder } = require('@stellar/stellar-base');

const key = (label) => Keypair.fromRawEd25519Seed(Buffer.alloc(32, label));
const network = Networks.STANDALONE;
const n = 3;
const setupSequence = 7n << 32n;
const versionSequences = [7n << 32n, 8n << 32n, 9n << 32n];
const round = 3n;
const start = 1800000000;
const timeoutClaim = 259200;
const timeoutClaimDelay = 86400;
// Setup closed at `start`; the opening window is TIMEOUT_CLAIM - D (D = one day in the test).
const openingDeadline = start + timeoutClaim - 86400;
const deposits = ['100', '200', '300'];
const payouts = ['150', '200', '250'];
const fee = 100;
const escrow = key(30).publicKey();
const r0 = setupSequence + 2n;
const rj = r0 + round * BigInt(n + 1);

// v_{j,i}: source A_i at q_i + 1, time bounds [M_j, M_j + TIMEOUT_CLAIM], BUMP_SEQUENCE of R to r_j.
const ratchets = [...Array(n).keys()].map((i) => new TransactionBuilder(new Account(key(20 + i).publicKey(), versionSequences[i].toString()), {
  fee: String(fee), networkPassphrase: network, timebounds: { minTime: start, maxTime: start + timeoutClaim },
}).addOperation(Operation.bumpSequence({ source: escrow, bumpTo: rj.toString() })).build());

// t_{j,i}: source R at r_j + i + 1, minTime M_j + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY, no maxTime; pays participant i.
const snapshots = [...Array(n).keys()].map((i) => new TransactionBuilder(new Account(escrow, (rj + BigInt(i)).toString()), {
  fee: String(fee), networkPassphrase: network, timebounds: { minTime: start + timeoutClaim + timeoutClaimDelay, maxTime: 0 },
}).addOperation(Operation.payment({ destination: key(10 + i).publicKey(), asset: Asset.native(), amount: payouts[i] })).build());

// Funding: source R at its next sequence, valid until the opening deadline; deposits paid in from
// each wallet, the other ratchet keys added as signers, every threshold raised to N.
const funding = new TransactionBuilder(new Account(escrow, setupSequence.toString()), {
  fee: String(fee), networkPassphrase: network, timebounds: { minTime: 0, maxTime: openingDeadline },
});
for (let i = 0; i < n; i++) {
  funding.addOperation(Operation.payment({ source: key(10 + i).publicKey(), destination: escrow, asset: Asset.native(), amount: deposits[i] }));
}
for (let i = 1; i < n; i++) {
  funding.addOperation(Operation.setOptions({ signer: { ed25519PublicKey: key(30 + i).publicKey(), weight: 1 } }));
}
funding.addOperation(Operation.setOptions({ masterWeight: 1, lowThreshold: n, medThreshold: n, highThreshold: n }));

const out = (tx) => ({ xdr: tx.toEnvelope().toXDR('base64'), hash: tx.hash().toString('hex') });
const vectors = {
  network,
  participants: n,
  setupSequence: setupSequence.toString(),
  versionSequences: versionSequences.map(String),
  round: Number(round),
  start,
  timeoutClaim,
  timeoutClaimDelay,
  openingDeadline,
  deposits,
  payouts,
  ratchets: ratchets.map(out),
  snapshots: snapshots.map(out),
  funding: out(funding.build()),
};
fs.writeFileSync(path.join(__dirname, '..', 'Watchtower.Protocol.Tests', 'Vectors', 'channel-transactions.json'), `${JSON.stringify(vectors, null, 2)}\n`);
