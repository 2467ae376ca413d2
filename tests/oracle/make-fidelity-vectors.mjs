// Rewrites ../Watchtower.Conformance.Tests/Vectors/fidelity.json: the cases of issue 15 (found by
// clients the project was not tuned to), recorded from both oracles. Each envelope is built with
// the official SDK from a fixed key; `hash` and `description` are the SDK's (describe.js; null where
// it describes no such operation), `rustXdrJson` the Rust reference XDR's decoding. `results` are
// TransactionResults encoded by the SDK, with the Rust decoding. Regenerate only on purpose: the
// file is checked in.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { decodeCase } from './xdr-json.mjs';

const require = createRequire(import.meta.url);
const { xdr, Keypair, Account, TransactionBuilder, Operation, Asset, Networks } = require('@stellar/stellar-base');
const { describeEnvelope } = require('./describe');

const network = Networks.TESTNET;
const source = Keypair.fromRawEd25519Seed(Buffer.alloc(32, 1));
const emptyPayloadSigner = xdr.SignerKey.signerKeyTypeEd25519SignedPayload(
  new xdr.SignerKeyEd25519SignedPayload({ ed25519: source.rawPublicKey(), payload: Buffer.alloc(0) }));

function build(configure, ops) {
  const builder = new TransactionBuilder(new Account(source.publicKey(), '4294967296'), { fee: '100', networkPassphrase: network })
    .setTimeout(0);
  configure(builder);
  for (const op of ops) builder.addOperation(op);
  const tx = builder.build();
  tx.sign(source);
  return tx.toEnvelope().toXDR('base64');
}

function setOptionsWithSigner(key) {
  const op = xdr.Operation.fromXDR(Operation.setOptions({}).toXDR());
  op.body().value().signer(new xdr.Signer({ key, weight: 1 }));
  return op;
}

function describeOrNull(envelope) {
  try {
    return describeEnvelope(envelope, network);
  } catch (e) {
    return null;
  }
}

const sellOffer = () => Operation.manageSellOffer({
  selling: Asset.native(), buying: new Asset('USD', source.publicKey()), amount: '10', price: '1', offerId: '0',
});

// The same transaction as a TransactionV0 envelope (the pre-protocol-13 form, still accepted).
function asV0(base64) {
  const v1 = xdr.TransactionEnvelope.fromXDR(base64, 'base64').v1();
  const tx = v1.tx();
  const v0 = new xdr.TransactionV0({
    sourceAccountEd25519: tx.sourceAccount().ed25519(),
    fee: tx.fee(),
    seqNum: tx.seqNum(),
    timeBounds: tx.cond().timeBounds(),
    memo: tx.memo(),
    operations: tx.operations(),
    ext: new xdr.TransactionV0Ext(0),
  });
  const unsigned = xdr.TransactionEnvelope.envelopeTypeTxV0(new xdr.TransactionV0Envelope({ tx: v0, signatures: [] }));
  const built = TransactionBuilder.fromXDR(unsigned, network);
  built.sign(source);
  return built.toEnvelope().toXDR('base64');
}

function feeBumped(base64) {
  const inner = TransactionBuilder.fromXDR(base64, network);
  const bump = TransactionBuilder.buildFeeBumpTransaction(payer, '1000', inner, network);
  bump.sign(payer);
  return bump.toEnvelope().toXDR('base64');
}

const payer = Keypair.fromRawEd25519Seed(Buffer.alloc(32, 2));
const sellOfferXdr = build(() => {}, [sellOffer()]);

const envelopes = [
  {
    name: 'set-options-signer-with-empty-signed-payload',
    xdr: build(() => {}, [setOptionsWithSigner(emptyPayloadSigner)]),
  },
  {
    name: 'extra-signer-with-empty-signed-payload',
    xdr: build((b) => b.setExtraSigners([require('@stellar/stellar-base').SignerKey.encodeSignerKey(emptyPayloadSigner)]),
      [Operation.bumpSequence({ bumpTo: '0' })]),
  },
  // Operations the standalone network does not model: refused as not supported, never as malformed.
  { name: 'manage-sell-offer', xdr: sellOfferXdr },
  { name: 'manage-sell-offer-v0', xdr: asV0(sellOfferXdr) },
  { name: 'manage-sell-offer-fee-bumped', xdr: feeBumped(sellOfferXdr) },
  { name: 'payment-then-manage-sell-offer', xdr: build(() => {}, [
    Operation.payment({ destination: payer.publicKey(), asset: Asset.native(), amount: '1' }), sellOffer()]) },
].map((c) => ({
  ...c,
  network,
  hash: TransactionBuilder.fromXDR(c.xdr, network).hash().toString('hex'),
  description: describeOrNull(c.xdr),
  rustXdrJson: decodeCase({ type: 'TransactionEnvelope', xdr: c.xdr }).json,
}));

// What a refusal of an unsupported transaction carries (fee: the base fee per operation counted).
const results = [100, 200].map((fee) => {
  const result = new xdr.TransactionResult({
    feeCharged: xdr.Int64.fromString(String(fee)),
    result: xdr.TransactionResultResult.txNotSupported(),
    ext: new xdr.TransactionResultExt(0),
  }).toXDR('base64');
  return { name: `tx-not-supported-fee-${fee}`, xdr: result, rustXdrJson: decodeCase({ type: 'TransactionResult', xdr: result }).json };
});

const out = new URL('../Watchtower.Conformance.Tests/Vectors/fidelity.json', import.meta.url);
fs.writeFileSync(out, `${JSON.stringify({
  generator: 'tests/oracle/make-fidelity-vectors.mjs',
  stellarBase: require('@stellar/stellar-base/package.json').version,
  stellarXdrJson: require('@stellar/stellar-xdr-json/package.json').version,
  source: source.publicKey(),
  envelopes,
  results,
}, null, 2)}\n`);
