// Regenerates the JS-SDK-derived vectors in this folder (checked in as data; the tests do not run node).
// Usage: node generate.js <folder containing node_modules with @stellar/stellar-base 15.0.0>
const path = require('path');
const fs = require('fs');
const oracle = process.argv[2] || process.env.WATCHTOWER_ORACLE_DIR || path.join(__dirname, '../../oracle');
const b = require(path.join(oracle, 'node_modules/@stellar/stellar-base'));
const { xdr, StrKey, Keypair, Networks, Asset, Operation, Memo, TransactionBuilder, Account, hash } = b;
const out = (name, lines) => fs.writeFileSync(path.join(__dirname, name), lines.join('\n') + '\n');

// --- StrKey: valid SEP-23 / rs-stellar-strkey cases with their decoded payloads.
const valid = [
  ['AccountId', 'GA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVSGZ', 'ed25519PublicKey'],
  ['AccountId', 'GA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQHES5', 'ed25519PublicKey'],
  ['SecretSeed', 'SBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHOKR', 'ed25519SecretSeed'],
  ['PreAuthTx', 'TBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWHXL7', 'preAuthTx'],
  ['Sha256Hash', 'XBU2RRGLXH3E5CQHTD3ODLDF2BWDCYUSSBLLZ5GNW7JXHDIYKXZWGTOG', 'sha256Hash'],
  ['MuxedAccount', 'MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAAAAAAAACJUQ', 'med25519PublicKey'],
  ['MuxedAccount', 'MA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJVAAAAAAAAAAAAAJLK', 'med25519PublicKey'],
  ['MuxedAccount', 'MA3D5KRYM6CB7OWQ6TWYRR3Z4T7GNZLKERYNZGGA5SOAOPIFY6YQGAAAAAAAAAPCICBKU', 'med25519PublicKey'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAQACAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUPB6IBZGM', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAOQCAQDAQCQMBYIBEFAWDANBYHRAEISCMKBKFQXDAMRUGY4DUAAAAFGBU', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAIAAAAAAAAAAAAAAAAAAAAAAAAAAKB5', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAACAAAAAABNWS', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAGAAAAAAAAAAAAAAAAAAACTPY', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAKAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAALGXI', 'signedPayload'],
  ['SignedPayload', 'PA7QYNF7SOWQ3GLR2BGMZEHXAVIRZA4KVWLTJJFC7MGXUA74P7UJUAAAAAEAAAAAAAAAAAAARKYQ', 'signedPayload'],
];
out('strkey-valid.txt', ['# kind|strkey|payload hex (decoded by @stellar/stellar-base StrKey)',
  ...valid.map(([k, s, n]) => `${k}|${s}|${require(path.join(oracle, 'node_modules/@stellar/stellar-base/lib/strkey.js')).decodeCheck(n, s).toString('hex')}`)]);

// --- Network ids.
out('network-ids.txt', ['# passphrase|sha256 network id hex',
  ...[Networks.PUBLIC, Networks.TESTNET, Networks.STANDALONE, 'Watchtower custom network ; 2026'].map(p => `${p}|${hash(Buffer.from(p)).toString('hex')}`)]);

// --- Envelopes with their hashes (JS-built, JS-signed).
const kp = n => Keypair.fromRawEd25519Seed(Buffer.alloc(32, n));
const a = kp(1), c = kp(2), d = kp(3);
const issuer = kp(9).publicKey();
const mux = new b.MuxedAccount(new Account(c.publicKey(), '0'), '1234567890123').accountId();
const envs = [];
const add = (name, network, tx) => envs.push(`${name}|${network}|${tx.toEnvelope().toXDR('base64')}|${tx.hash().toString('hex')}`);
const base = (opts = {}) => new TransactionBuilder(new Account(a.publicKey(), '4294967296'), { fee: '100', networkPassphrase: Networks.TESTNET, ...opts });

let tx = base().addOperation(Operation.createAccount({ destination: c.publicKey(), startingBalance: '10.5' })).setTimeout(0).build();
tx.sign(a); add('create-account-timebounds-unbounded', 'testnet', tx);

tx = base({ timebounds: { minTime: 1700000000, maxTime: 1800000000 }, memo: Memo.id('18446744073709551615') })
  .addOperation(Operation.payment({ destination: mux, asset: new Asset('USD', issuer), amount: '922337203685.4775807' }))
  .addOperation(Operation.payment({ destination: c.publicKey(), asset: new Asset('LONGCODE12AB', issuer), amount: '0.0000001', source: mux }))
  .build();
tx.sign(a); tx.sign(c); add('payments-muxed-alphanum4-12-memo-id', 'testnet', tx);

tx = base({ memo: Memo.hash(Buffer.alloc(32, 7)), timebounds: { minTime: 0, maxTime: 0 } })
  .addOperation(Operation.setOptions({ inflationDest: c.publicKey(), clearFlags: 1, setFlags: 2, masterWeight: 0, lowThreshold: 1, medThreshold: 2, highThreshold: 3, homeDomain: 'example.com', signer: { ed25519PublicKey: d.publicKey(), weight: 1 } }))
  .addOperation(Operation.setOptions({ signer: { preAuthTx: Buffer.alloc(32, 5), weight: 2 } }))
  .addOperation(Operation.setOptions({ signer: { sha256Hash: Buffer.alloc(32, 6), weight: 3 } }))
  .addOperation(Operation.setOptions({ signer: { ed25519SignedPayload: StrKey.encodeSignedPayload(Buffer.concat([d.rawPublicKey(), Buffer.from([0, 0, 0, 5]), Buffer.from([1, 2, 3, 4, 5, 0, 0, 0])])), weight: 4 } }))
  .addOperation(Operation.setOptions({}))
  .build();
tx.sign(a); add('set-options-all-fields-all-signer-kinds-memo-hash', 'testnet', tx);

tx = base({ memo: Memo.return(Buffer.alloc(32, 8)), timebounds: { minTime: 0, maxTime: 0 } })
  .addOperation(Operation.changeTrust({ asset: new Asset('USD', issuer), limit: '1000' }))
  .addOperation(Operation.changeTrust({ asset: new Asset('ABCDE', issuer) }))
  .addOperation(Operation.accountMerge({ destination: mux }))
  .addOperation(Operation.manageData({ name: 'key', value: Buffer.from('value') }))
  .addOperation(Operation.manageData({ name: 'gone', value: null }))
  .addOperation(Operation.bumpSequence({ bumpTo: '9223372036854775807' }))
  .build();
tx.sign(a); add('change-trust-merge-data-bump-memo-return', 'testnet', tx);

tx = base({
  timebounds: { minTime: 10, maxTime: 20 }, ledgerbounds: { minLedger: 5, maxLedger: 50 },
  minAccountSequence: '4294967290', minAccountSequenceAge: 3600, minAccountSequenceLedgerGap: 7,
  extraSigners: [c.publicKey(), StrKey.encodeSignedPayload(Buffer.concat([d.rawPublicKey(), Buffer.from([0, 0, 0, 2]), Buffer.from([9, 9, 0, 0])]))],
  memo: Memo.text('channel round 7'), networkPassphrase: Networks.PUBLIC,
}).addOperation(Operation.bumpSequence({ bumpTo: '4294967400' })).build();
tx.sign(a); add('preconditions-v2-full-public-network', 'public', tx);

{
  // A PRECOND_V2 with every field empty: must stay V2 when re-encoded.
  const t = base({ networkPassphrase: Networks.STANDALONE }).addOperation(Operation.bumpSequence({ bumpTo: '1' })).setTimeout(0).build().tx;
  t.cond(xdr.Preconditions.precondV2(new xdr.PreconditionsV2({ timeBounds: null, ledgerBounds: null, minSeqNum: null, minSeqAge: xdr.Uint64.fromString('0'), minSeqLedgerGap: 0, extraSigners: [] })));
  const env = xdr.TransactionEnvelope.envelopeTypeTx(new xdr.TransactionV1Envelope({ tx: t, signatures: [] }));
  add('preconditions-v2-empty-unsigned-standalone', 'standalone', new b.Transaction(env, Networks.STANDALONE));
  t.cond(xdr.Preconditions.precondNone());
  add('preconditions-none-unsigned-standalone', 'standalone', new b.Transaction(xdr.TransactionEnvelope.envelopeTypeTx(new xdr.TransactionV1Envelope({ tx: t, signatures: [] })), Networks.STANDALONE));
}

tx = new TransactionBuilder(new b.MuxedAccount(new Account(c.publicKey(), '99'), '1234567890123'), { fee: '250', networkPassphrase: Networks.TESTNET })
  .addOperation(Operation.payment({ destination: a.publicKey(), asset: Asset.native(), amount: '1' })).setTimeout(0).build();
tx.sign(c); add('muxed-source', 'testnet', tx);

// V0 envelope (legacy): same transaction bytes after the source, hashed as ENVELOPE_TYPE_TX.
{
  const v1 = base({ timebounds: { minTime: 1, maxTime: 2 }, memo: Memo.text('v0') })
    .addOperation(Operation.payment({ destination: c.publicKey(), asset: Asset.native(), amount: '2' })).build();
  const t = v1.tx;
  const v0tx = new xdr.TransactionV0({
    sourceAccountEd25519: a.rawPublicKey(), fee: t.fee(), seqNum: t.seqNum(), timeBounds: t.cond().timeBounds(),
    memo: t.memo(), operations: t.operations(), ext: new xdr.TransactionV0Ext(0),
  });
  const env = xdr.TransactionEnvelope.envelopeTypeTxV0(new xdr.TransactionV0Envelope({ tx: v0tx, signatures: [] }));
  const parsed = new b.Transaction(env, Networks.TESTNET);
  parsed.sign(a);
  add('v0-envelope', 'testnet', parsed);
  const v0none = new xdr.TransactionV0({
    sourceAccountEd25519: a.rawPublicKey(), fee: t.fee(), seqNum: t.seqNum(), timeBounds: null,
    memo: xdr.Memo.memoNone(), operations: t.operations(), ext: new xdr.TransactionV0Ext(0),
  });
  add('v0-envelope-no-timebounds-unsigned', 'testnet', new b.Transaction(xdr.TransactionEnvelope.envelopeTypeTxV0(new xdr.TransactionV0Envelope({ tx: v0none, signatures: [] })), Networks.TESTNET));
}

// Fee bumps.
{
  const inner = base().addOperation(Operation.bumpSequence({ bumpTo: '4294967300' })).setTimeout(0).build();
  inner.sign(a);
  const fb = TransactionBuilder.buildFeeBumpTransaction(d, '1000', inner, Networks.TESTNET);
  fb.sign(d); add('fee-bump', 'testnet', fb);
  const fbm = TransactionBuilder.buildFeeBumpTransaction(new b.MuxedAccount(new Account(d.publicKey(), '0'), '42').accountId(), '500', inner, Networks.TESTNET);
  add('fee-bump-muxed-fee-source-unsigned', 'testnet', fbm);
}
out('envelopes.txt', ['# name|network|envelope xdr base64|hash hex (built, signed and hashed by @stellar/stellar-base)', ...envs]);

// --- Signature hints.
const hints = ['# kind|key strkey|payload hex|hint hex'];
for (const p of ['', '01', '0102', '010203', '01020304', '0102030405', 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff']) {
  const payload = Buffer.from(p, 'hex');
  if (payload.length > 0) hints.push(`signed-payload|${d.publicKey()}|${p}|${d.signPayloadDecorated(payload).hint().toString('hex')}`);
}
hints.push(`ed25519|${a.publicKey()}||${a.signatureHint().toString('hex')}`);
out('hints.txt', hints);

// --- Results and ledger entries (XDR built with the JS generated types).
const results = ['# type|name|xdr base64'];
const R = (name, v) => results.push(`TransactionResult|${name}|${v.toXDR('base64')}`);
const opInner = tr => xdr.OperationResult.opInner(tr);
R('success-all-modelled-ops', new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('700'),
  result: xdr.TransactionResultResult.txSuccess([
    opInner(xdr.OperationResultTr.createAccount(xdr.CreateAccountResult.createAccountSuccess())),
    opInner(xdr.OperationResultTr.payment(xdr.PaymentResult.paymentSuccess())),
    opInner(xdr.OperationResultTr.setOptions(xdr.SetOptionsResult.setOptionsSuccess())),
    opInner(xdr.OperationResultTr.changeTrust(xdr.ChangeTrustResult.changeTrustSuccess())),
    opInner(xdr.OperationResultTr.accountMerge(xdr.AccountMergeResult.accountMergeSuccess(xdr.Int64.fromString('123456789')))),
    opInner(xdr.OperationResultTr.manageData(xdr.ManageDataResult.manageDataSuccess())),
    opInner(xdr.OperationResultTr.bumpSequence(xdr.BumpSequenceResult.bumpSequenceSuccess())),
  ]),
  ext: new xdr.TransactionResultExt(0),
}));
R('failed-mixed', new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('300'),
  result: xdr.TransactionResultResult.txFailed([
    opInner(xdr.OperationResultTr.payment(xdr.PaymentResult.paymentUnderfunded())),
    xdr.OperationResult.opBadAuth(),
    opInner(xdr.OperationResultTr.accountMerge(xdr.AccountMergeResult.accountMergeHasSubEntries())),
    opInner(xdr.OperationResultTr.bumpSequence(xdr.BumpSequenceResult.bumpSequenceBadSeq())),
  ]),
  ext: new xdr.TransactionResultExt(0),
}));
R('bad-auth-extra', new xdr.TransactionResult({ feeCharged: xdr.Int64.fromString('100'), result: xdr.TransactionResultResult.txBadAuthExtra(), ext: new xdr.TransactionResultExt(0) }));
R('bad-seq', new xdr.TransactionResult({ feeCharged: xdr.Int64.fromString('0'), result: xdr.TransactionResultResult.txBadSeq(), ext: new xdr.TransactionResultExt(0) }));
const innerPair = (code, ops) => new xdr.InnerTransactionResultPair({
  transactionHash: Buffer.alloc(32, 0xab),
  result: new xdr.InnerTransactionResult({ feeCharged: xdr.Int64.fromString('200'), result: code(ops), ext: new xdr.InnerTransactionResultExt(0) }),
});
R('fee-bump-inner-success', new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('400'),
  result: xdr.TransactionResultResult.txFeeBumpInnerSuccess(innerPair(xdr.InnerTransactionResultResult.txSuccess, [opInner(xdr.OperationResultTr.bumpSequence(xdr.BumpSequenceResult.bumpSequenceSuccess()))])),
  ext: new xdr.TransactionResultExt(0),
}));
R('fee-bump-inner-failed', new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('400'),
  result: xdr.TransactionResultResult.txFeeBumpInnerFailed(innerPair(xdr.InnerTransactionResultResult.txFailed, [opInner(xdr.OperationResultTr.createAccount(xdr.CreateAccountResult.createAccountAlreadyExist()))])),
  ext: new xdr.TransactionResultExt(0),
}));
R('fee-bump-inner-bad-seq', new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('400'),
  result: xdr.TransactionResultResult.txFeeBumpInnerFailed(new xdr.InnerTransactionResultPair({
    transactionHash: Buffer.alloc(32, 0xcd),
    result: new xdr.InnerTransactionResult({ feeCharged: xdr.Int64.fromString('0'), result: xdr.InnerTransactionResultResult.txBadSeq(), ext: new xdr.InnerTransactionResultExt(0) }),
  })),
  ext: new xdr.TransactionResultExt(0),
}));
results.push(`TransactionResult|unsupported-op-result|${new xdr.TransactionResult({
  feeCharged: xdr.Int64.fromString('100'),
  result: xdr.TransactionResultResult.txSuccess([opInner(xdr.OperationResultTr.inflation(xdr.InflationResult.inflationNotTime()))]),
  ext: new xdr.TransactionResultExt(0),
}).toXDR('base64')}`);

const signer = (k, w) => new xdr.Signer({ key: k, weight: w });
const account = ext => new xdr.AccountEntry({
  accountId: xdr.PublicKey.publicKeyTypeEd25519(a.rawPublicKey()),
  balance: xdr.Int64.fromString('100000000000'), seqNum: xdr.Int64.fromString('4294967301'), numSubEntries: 2,
  inflationDest: xdr.PublicKey.publicKeyTypeEd25519(c.rawPublicKey()), flags: 3, homeDomain: 'stellar.org',
  thresholds: Buffer.from([1, 2, 3, 4]),
  signers: [signer(xdr.SignerKey.signerKeyTypeEd25519(c.rawPublicKey()), 5), signer(xdr.SignerKey.signerKeyTypePreAuthTx(Buffer.alloc(32, 1)), 1)],
  ext,
});
const v3 = new xdr.AccountEntryExtensionV3({ ext: new xdr.ExtensionPoint(0), seqLedger: 77, seqTime: xdr.Uint64.fromString('1700000123') });
const v2 = e => new xdr.AccountEntryExtensionV2({ numSponsored: 1, numSponsoring: 2, signerSponsoringIDs: [xdr.PublicKey.publicKeyTypeEd25519(d.rawPublicKey()), null], ext: e });
const v1 = e => new xdr.AccountEntryExtensionV1({ liabilities: new xdr.Liabilities({ buying: xdr.Int64.fromString('5'), selling: xdr.Int64.fromString('6') }), ext: e });
results.push(`AccountEntry|v0|${account(new xdr.AccountEntryExt(0)).toXDR('base64')}`);
results.push(`AccountEntry|v1|${account(new xdr.AccountEntryExt(1, v1(new xdr.AccountEntryExtensionV1Ext(0)))).toXDR('base64')}`);
results.push(`AccountEntry|v2|${account(new xdr.AccountEntryExt(1, v1(new xdr.AccountEntryExtensionV1Ext(2, v2(new xdr.AccountEntryExtensionV2Ext(0)))))).toXDR('base64')}`);
const full = account(new xdr.AccountEntryExt(1, v1(new xdr.AccountEntryExtensionV1Ext(2, v2(new xdr.AccountEntryExtensionV2Ext(3, v3))))));
results.push(`AccountEntry|v3|${full.toXDR('base64')}`);
results.push(`LedgerEntry|account-v3-sponsored|${new xdr.LedgerEntry({ lastModifiedLedgerSeq: 77, data: xdr.LedgerEntryData.account(full), ext: new xdr.LedgerEntryExt(1, new xdr.LedgerEntryExtensionV1({ sponsoringId: xdr.PublicKey.publicKeyTypeEd25519(d.rawPublicKey()), ext: new xdr.LedgerEntryExtensionV1Ext(0) })) }).toXDR('base64')}`);
results.push(`LedgerEntry|account-v0|${new xdr.LedgerEntry({ lastModifiedLedgerSeq: 3, data: xdr.LedgerEntryData.account(account(new xdr.AccountEntryExt(0))), ext: new xdr.LedgerEntryExt(0) }).toXDR('base64')}`);
results.push(`LedgerKey|account|${xdr.LedgerKey.account(new xdr.LedgerKeyAccount({ accountId: xdr.PublicKey.publicKeyTypeEd25519(a.rawPublicKey()) })).toXDR('base64')}`);
out('xdr-values.txt', results);
