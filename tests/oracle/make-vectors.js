'use strict';
// Writes the checked-in envelope vectors (tests/Watchtower.Conformance.Tests/Vectors/envelopes.json)
// with the official SDK: the channel protocol's own transactions (ratchet, snapshot, fee-bumped
// ratchet) with their build parameters, so the .NET suite can rebuild them byte for byte, plus a
// fixed-seed sample of the random generator's envelopes. Run: node make-vectors.js
const fs = require('fs');
const path = require('path');
const crypto = require('crypto');
const {
  xdr, Account, Asset, Keypair, Memo, MuxedAccount, Networks, Operation, Transaction, TransactionBuilder,
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

// Edge cases the network allows and the SDK decodes, which we must keep byte for byte.
function plain(ops, opts = {}) {
  const b = new TransactionBuilder(new Account(users[1].publicKey(), '41'), {
    fee: '100', networkPassphrase: Networks.TESTNET, timebounds: { minTime: 0, maxTime: 0 }, ...opts,
  });
  ops.forEach((op) => b.addOperation(op));
  return b.build();
}

function withCond(tx, cond) {
  const raw = tx.tx;
  raw.cond(cond);
  return new Transaction(xdr.TransactionEnvelope.envelopeTypeTx(new xdr.TransactionV1Envelope({ tx: raw, signatures: [] })), Networks.TESTNET);
}

const edges = [];
edges.push(['memo text that is not UTF-8', plain([Operation.bumpSequence({ bumpTo: '1' })], { memo: Memo.text(Buffer.from([0x61, 0xc3, 0x28, 0xff, 0x62])) })]);
const negative = Operation.payment({ destination: users[0].publicKey(), asset: Asset.native(), amount: '1' });
negative.body().value().amount(xdr.Int64.fromString('-9223372036854775808'));
edges.push(['negative int64 amount and sequence', plain([negative, Operation.bumpSequence({ bumpTo: '-1' })])]);
edges.push(['V2 preconditions with every field absent', withCond(plain([Operation.bumpSequence({ bumpTo: '7' })]), xdr.Preconditions.precondV2(new xdr.PreconditionsV2({
  timeBounds: null, ledgerBounds: null, minSeqNum: null, minSeqAge: xdr.Duration.fromString('0'), minSeqLedgerGap: 0, extraSigners: [],
})))]);
edges.push(['muxed ids 0 and 2^64-1', plain([
  Operation.payment({ destination: new MuxedAccount(new Account(users[0].publicKey(), '0'), '0').accountId(), asset: Asset.native(), amount: '0.0000001' }),
  Operation.accountMerge({ destination: new MuxedAccount(new Account(users[0].publicKey(), '0'), '18446744073709551615').accountId() }),
], { withMuxing: true })]);
edges.push(['100 operations', plain(Array.from({ length: 100 }, (_, i) => Operation.manageData({ name: `k${i}`, value: Buffer.from([i]) })))]);
const twenty = plain([Operation.bumpSequence({ bumpTo: '2' })]);
const twentySigners = signAll(twenty, Array.from({ length: 20 }, (_, i) => key(`signer ${i}`)));
for (const [name, tx] of edges) {
  vectors.push(vector(`edge: ${name}`, Networks.TESTNET, tx, signAll(tx, [users[1]])));
}
vectors.push(vector('edge: 20 signatures', Networks.TESTNET, twenty, twentySigners));

// Envelopes the SDK decodes but we reject on purpose: stellar-core's validity rules make them
// malformed, so none can be on the ledger (data names and home domains are printable ASCII,
// an alphanum12 code has 5-12 characters).
const rejected = [];
const binaryName = Operation.manageData({ name: 'xx', value: null });
binaryName.body().value().dataName(Buffer.from([0x61, 0xc3, 0x28]));
rejected.push(['manage data name that is not UTF-8', plain([binaryName])]);
const shortCode = Operation.payment({ destination: users[0].publicKey(), asset: new Asset('ABCDEF', users[0].publicKey()), amount: '1' });
shortCode.body().value().asset().alphaNum12().assetCode(Buffer.from('AB\0\0\0\0\0\0\0\0\0\0', 'latin1'));
rejected.push(['alphanum12 asset with a 2-character code', plain([shortCode])]);
for (const [name, tx] of rejected) {
  vectors.push({ name: `rejected: ${name}`, network: Networks.TESTNET, xdr: tx.toEnvelope().toXDR('base64'), reject: true });
}

generate('watchtower fixed vectors', 40).forEach((c, i) => {
  vectors.push({ name: `sdk sample ${i}`, ...c });
});

const out = path.join(__dirname, '..', 'Watchtower.Conformance.Tests', 'Vectors', 'envelopes.json');
fs.writeFileSync(out, `${JSON.stringify({
  generator: 'tests/oracle/make-vectors.js with @stellar/stellar-base 15.0.0',
  vectors,
}, null, 1)}\n`);
console.log(`wrote ${vectors.length} vectors to ${out}`);
