// Rewrites ../Watchtower.Conformance.Tests/Vectors/fidelity.json: the cases of issue 15 (found by
// clients the project was not tuned to), recorded from both oracles. Each envelope is built with
// the official SDK from a fixed key; `description` is the SDK's (describe.js), `rustXdrJson` the
// Rust reference XDR's decoding. Regenerate only on purpose: the file is checked in.
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
  {
    // An operation the standalone network does not model: refused as not supported, never as malformed.
    name: 'manage-sell-offer',
    xdr: build(() => {}, [Operation.manageSellOffer({
      selling: Asset.native(), buying: new Asset('USD', source.publicKey()), amount: '10', price: '1', offerId: '0',
    })]),
  },
].map((c) => ({
  ...c,
  network,
  description: describeOrNull(c.xdr),
  rustXdrJson: decodeCase({ type: 'TransactionEnvelope', xdr: c.xdr }).json,
}));

const out = new URL('../Watchtower.Conformance.Tests/Vectors/fidelity.json', import.meta.url);
fs.writeFileSync(out, `${JSON.stringify({
  generator: 'tests/oracle/make-fidelity-vectors.mjs',
  stellarBase: require('@stellar/stellar-base/package.json').version,
  stellarXdrJson: require('@stellar/stellar-xdr-json/package.json').version,
  source: source.publicKey(),
  envelopes,
}, null, 2)}\n`);
