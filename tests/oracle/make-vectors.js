'use strict';
// Writes the checked-in envelope vectors (tests/Watchtower.Conformance.Tests/Vectors/envelopes.json)
// with the official SDK: the channel protocol's own transactions (ratchet, snapshot, fee-bumped
// ratchet) with their build parameters, so the .NET suite can rebuild them byte for byte, plus a
// fixed-seed sample of the random generator's envelopes. Run: node make-vectors.js
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {
  Account, Asset, Keypair, Networks, Operation, TransactionBuilder,
} = require('@stellar/stellar-base');
const { describeTx } = require('./describe');
const { generate } = require('./generate');

function key(label) {
  return Keypair.fromRawEd25519Seed(crypto.createHash('sha256').update(`watchtower vector: ${label}`).digest());
}

const users = [key('A1'), key('A2')];
const ratchetKeys = [key('K1'), key('K2')];
const escrow = key('R');
const tower = key('tower');

// The ratchet v_{j,i}: source A_i at its fixed sequence, one BUMP_SEQUENCE sourced at R to r_j,
// time bounds [M_j, M_j + TIMEOUT_CLAIM]; signed by A_i and by every ratchet key.
function ratchet(p) {
  const tx = new TransactionBuilder(new Account(p.source, (BigInt(p.sequence) - 1n).toString()), {
    fee: String(p.feePerOperation),
    networkPassphrase: p.network,
    timebounds: { minTime: p.minTime, maxTime: p.maxTime },
  })
    .addOperation(Operation.bumpSequence({ source: p.escrow, bumpTo: p.bumpTo }))
    .build();
  return tx;
}

// A snapshot t_{j,k}: source R at r_j + k, minTime M_j + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY, no
// maxTime; pays out and, in the last one, hands R's signers back (SET_OPTIONS).
function snapshot(p) {
  const builder = new TransactionBuilder(new Account(p.source, (BigInt(p.sequence) - 1n).toString()), {
    fee: String(p.feePerOperation),
    networkPassphrase: p.network,
    timebounds: { minTime: p.minTime, maxTime: 0 },
  });
  for (const pay of p.payments) {
    builder.addOperation(Operation.payment({ destination: pay.destination, asset: Asset.native(), amount: pay.amount }));
  }
  if (p.setOptions) {
    builder.addOperation(Operation.setOptions({
      masterWeight: p.setOptions.masterWeight,
      lowThreshold: p.setOptions.threshold,
      medThreshold: p.setOptions.threshold,
      highThreshold: p.setOptions.threshold,
      signer: { ed25519PublicKey: p.setOptions.signer, weight: p.setOptions.signerWeight },
    }));
  }
  return builder.build();
}

function signAll(tx, keys) {
  for (const k of keys) tx.sign(k);
  return keys.map((k) => k.publicKey());
}

function vector(name, network, tx, signers, extra = {}) {
  return {
    name, network, xdr: tx.toEnvelope().toXDR('base64'), description: describeTx(tx), signers, ...extra,
  };
}

const vectors = [];
const ratchetBuild = {
  kind: 'ratchet',
  network: Networks.TESTNET,
  source: users[0].publicKey(),
  sequence: '81604378625',
  escrow: escrow.publicKey(),
  bumpTo: '8589934600',
  minTime: '1764000000',
  maxTime: '1764003600',
  feePerOperation: 100,
  signerSeeds: [users[0], ...ratchetKeys].map((k) => k.secret()),
};
const r = ratchet(ratchetBuild);
vectors.push(vector('ratchet v_{1,1}', ratchetBuild.network, r, signAll(r, [users[0], ...ratchetKeys]), { build: ratchetBuild }));

const snapshotBuild = {
  kind: 'snapshot',
  network: Networks.TESTNET,
  source: escrow.publicKey(),
  sequence: '8589934601',
  minTime: '1764090000',
  feePerOperation: 200,
  payments: [
    { destination: users[0].publicKey(), amount: '1250.5000000' },
    { destination: users[1].publicKey(), amount: '749.4999999' },
  ],
  setOptions: { masterWeight: 0, threshold: 2, signer: users[1].publicKey(), signerWeight: 1 },
  signerSeeds: ratchetKeys.map((k) => k.secret()),
};
const s = snapshot(snapshotBuild);
vectors.push(vector('snapshot t_{1,1}', snapshotBuild.network, s, signAll(s, ratchetKeys), { build: snapshotBuild }));

const bumpBuild = {
  kind: 'feeBumpedRatchet',
  network: Networks.PUBLIC,
  inner: { ...ratchetBuild, network: Networks.PUBLIC },
  feeSource: tower.publicKey(),
  feePerOperation: 5000,
  signerSeeds: [tower.secret()],
};
const inner = ratchet(bumpBuild.inner);
const innerSigners = signAll(inner, [users[0], ...ratchetKeys]);
const bump = TransactionBuilder.buildFeeBumpTransaction(tower.publicKey(), String(bumpBuild.feePerOperation), inner, Networks.PUBLIC);
vectors.push(vector('fee-bumped ratchet', Networks.PUBLIC, bump, signAll(bump, [tower]), { innerSigners, build: bumpBuild }));

generate('watchtower fixed vectors', 40).forEach((c, i) => {
  vectors.push({ name: `sdk sample ${i}`, ...c });
});

const out = path.join(__dirname, '..', 'Watchtower.Conformance.Tests', 'Vectors', 'envelopes.json');
fs.writeFileSync(out, `${JSON.stringify({
  generator: 'tests/oracle/make-vectors.js with @stellar/stellar-base 15.0.0',
  vectors,
}, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors to ${out}`);
