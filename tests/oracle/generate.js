'use strict';
// Random transaction envelopes built with the official SDK (TransactionBuilder, Operation.*,
// Memo, buildFeeBumpTransaction, Transaction.sign), deterministic in the seed. Where the builder
// cannot express a shape the protocol allows (PRECOND_NONE, V2 without time bounds or without
// minSeqNum, V0 envelopes) the SDK's own XDR types are used to reshape it before signing.
const {
  xdr, Account, Asset, Keypair, Memo, MuxedAccount, Operation, SignerKey, StrKey, Transaction,
  TransactionBuilder,
} = require('@stellar/stellar-base');
const crypto = require('crypto');
const { Rng } = require('./rng');
const { describeTx } = require('./describe');

const NETWORKS = [
  'Public Global Stellar Network ; September 2015',
  'Test SDF Network ; September 2015',
  'Standalone Network ; February 2017',
];

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.';
const CODE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
// Multi-byte characters so memo text exercises UTF-8 byte (not character) limits.
const UNICODE = ['é', 'ß', '€', '✓', '中', '😀'];

class Generator {
  constructor(seedText) {
    this.rng = new Rng(seedText);
    this.keys = Array.from({ length: 12 }, () => Keypair.fromRawEd25519Seed(this.rng.bytes(32)));
  }

  key() { return this.rng.pick(this.keys); }

  accountId() { return this.key().publicKey(); }

  // G… or, a third of the time, M… with a random 64-bit id.
  muxed(allowMuxed = true) {
    const g = this.accountId();
    if (!allowMuxed || !this.rng.chance(1 / 3)) return g;
    return new MuxedAccount(new Account(g, '0'), this.rng.u64Edgy().toString()).accountId();
  }

  opSource() { return this.rng.chance(0.5) ? undefined : this.muxed(); }

  text(maxChars, alphabet = ASCII) {
    const n = this.rng.range(1, maxChars);
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.rng.int(alphabet.length)];
    return s;
  }

  memoText() {
    let s = '';
    const target = this.rng.range(0, 28);
    for (;;) {
      const c = this.rng.chance(0.2) ? this.rng.pick(UNICODE) : ASCII[this.rng.int(ASCII.length)];
      if (Buffer.byteLength(s + c, 'utf8') > target) return s;
      s += c;
    }
  }

  amount(allowZero) {
    let stroops;
    switch (this.rng.int(4)) {
      case 0: stroops = BigInt(this.rng.range(allowZero ? 0 : 1, 100)); break;
      case 1: stroops = 0x7fffffffffffffffn; break;
      default: stroops = this.rng.i64NonNegative(); break;
    }
    if (stroops === 0n && !allowZero) stroops = 1n;
    const whole = stroops / 10000000n;
    const frac = (stroops % 10000000n).toString().padStart(7, '0');
    return `${whole}.${frac}`;
  }

  asset(allowNative = true) {
    const kind = this.rng.int(allowNative ? 3 : 2);
    if (kind === 2) return Asset.native();
    const code = kind === 0 ? this.text(4, CODE_CHARS) : this.text(12, CODE_CHARS).padEnd(5, 'Z');
    return new Asset(code, this.accountId());
  }

  signedPayload() {
    return StrKey.encodeSignedPayload(
      new xdr.SignerKeyEd25519SignedPayload({
        ed25519: this.key().rawPublicKey(),
        payload: this.rng.bytes(this.rng.range(1, 64)),
      }).toXDR(),
    );
  }

  // A signer key as a StrKey of each kind (G, T, X, P).
  signerKeyStrKey() {
    switch (this.rng.int(4)) {
      case 0: return this.accountId();
      case 1: return StrKey.encodePreAuthTx(this.rng.bytes(32));
      case 2: return StrKey.encodeSha256Hash(this.rng.bytes(32));
      default: return this.signedPayload();
    }
  }

  setOptionsSigner() {
    const weight = this.rng.int(256);
    switch (this.rng.int(4)) {
      case 0: return { ed25519PublicKey: this.accountId(), weight };
      case 1: return { preAuthTx: this.rng.bytes(32), weight };
      case 2: return { sha256Hash: this.rng.bytes(32), weight };
      default: return { ed25519SignedPayload: this.signedPayload(), weight };
    }
  }

  operation(type) {
    const source = this.opSource();
    const r = this.rng;
    switch (type) {
      case 'CREATE_ACCOUNT':
        return Operation.createAccount({ source, destination: this.accountId(), startingBalance: this.amount(true) });
      case 'PAYMENT':
        return Operation.payment({ source, destination: this.muxed(), asset: this.asset(), amount: this.amount(false) });
      case 'SET_OPTIONS': {
        // A tenth of them carry every field at once.
        const all = r.chance(0.1);
        const has = () => all || r.chance(0.5);
        const opts = { source };
        if (has()) opts.inflationDest = this.accountId();
        if (has()) opts.clearFlags = r.u32Edgy();
        if (has()) opts.setFlags = r.u32Edgy();
        if (has()) opts.masterWeight = r.int(256);
        if (has()) opts.lowThreshold = r.int(256);
        if (has()) opts.medThreshold = r.int(256);
        if (has()) opts.highThreshold = r.int(256);
        if (has()) opts.homeDomain = r.chance(0.1) ? '' : this.text(32);
        if (all || r.chance(0.6)) opts.signer = this.setOptionsSigner();
        return Operation.setOptions(opts);
      }
      case 'CHANGE_TRUST':
        return Operation.changeTrust(r.chance(0.3)
          ? { source, asset: this.asset(false) }
          : { source, asset: this.asset(false), limit: this.amount(true) });
      case 'ACCOUNT_MERGE':
        return Operation.accountMerge({ source, destination: this.muxed() });
      case 'MANAGE_DATA':
        return Operation.manageData({
          source,
          name: this.text(64),
          value: r.chance(0.3) ? null : r.bytes(r.range(1, 64)),
        });
      case 'BUMP_SEQUENCE':
        return Operation.bumpSequence({ source, bumpTo: r.i64NonNegative().toString() });
      default:
        throw new Error(`unknown type ${type}`);
    }
  }

  memo() {
    const r = this.rng;
    switch (r.int(5)) {
      case 0: return Memo.none();
      case 1: return Memo.text(this.memoText());
      case 2: return Memo.id(r.u64Edgy().toString());
      case 3: return Memo.hash(r.bytes(32));
      default: return Memo.return(r.bytes(32));
    }
  }

  timeBounds() {
    return { minTime: this.rng.u64Edgy().toString(), maxTime: this.rng.u64Edgy().toString() };
  }

  // The precondition arm for a V1 envelope, as XDR.
  preconditions(kind) {
    const r = this.rng;
    const tb = () => {
      const t = this.timeBounds();
      return new xdr.TimeBounds({
        minTime: xdr.TimePoint.fromString(t.minTime), maxTime: xdr.TimePoint.fromString(t.maxTime),
      });
    };
    if (kind === 'NONE') return xdr.Preconditions.precondNone();
    if (kind === 'TIME') return xdr.Preconditions.precondTime(tb());
    return xdr.Preconditions.precondV2(new xdr.PreconditionsV2({
      timeBounds: r.chance(0.5) ? tb() : null,
      ledgerBounds: r.chance(0.5)
        ? new xdr.LedgerBounds({ minLedger: r.u32Edgy(), maxLedger: r.u32Edgy() })
        : null,
      minSeqNum: r.chance(0.5) ? xdr.SequenceNumber.fromString(r.i64NonNegative().toString()) : null,
      minSeqAge: xdr.Duration.fromString(r.chance(0.5) ? '0' : r.u64Edgy().toString()),
      minSeqLedgerGap: r.chance(0.5) ? 0 : r.u32Edgy(),
      extraSigners: Array.from({ length: r.int(3) }, () => SignerKey.decodeAddress(this.signerKeyStrKey())),
    }));
  }

  // Builds one unsigned transaction with TransactionBuilder. The builder always emits PRECOND_TIME
  // (and its V2 always carries time bounds and a minSeqNum), so NONE and V2 arms are set on its
  // XDR directly to reach every shape the protocol allows.
  transaction(networkPassphrase, { v0, forFeeBump }) {
    const r = this.rng;
    const source = v0 ? this.accountId() : this.muxed();
    const sequence = r.i64NonNegative();
    const types = ['CREATE_ACCOUNT', 'PAYMENT', 'SET_OPTIONS', 'CHANGE_TRUST', 'ACCOUNT_MERGE', 'MANAGE_DATA', 'BUMP_SEQUENCE'];
    const opCount = r.range(1, 5);
    const baseFee = r.range(100, 5000);
    const previous = (sequence - 1n).toString();
    const account = source.startsWith('M')
      ? MuxedAccount.fromAddress(source, previous)
      : new Account(source, previous);
    const builder = new TransactionBuilder(account, {
      fee: String(baseFee),
      networkPassphrase,
      memo: this.memo(),
      timebounds: this.timeBounds(),
      withMuxing: true,
    });
    for (let i = 0; i < opCount; i++) builder.addOperation(this.operation(r.pick(types)));
    const built = builder.build();
    const raw = built.tx;
    // buildFeeBumpTransaction turns a V0 inner into PRECOND_TIME even without time bounds (and
    // fails), so a V0 that will be fee-bumped keeps its time bounds.
    const kind = v0 ? (forFeeBump ? 'TIME' : r.pick(['NONE', 'TIME'])) : r.pick(['NONE', 'TIME', 'V2', 'V2']);
    if (v0) {
      const cond = kind === 'TIME' ? raw.cond().timeBounds() : null;
      const v0tx = new xdr.TransactionV0({
        sourceAccountEd25519: StrKey.decodeEd25519PublicKey(source),
        fee: raw.fee(),
        seqNum: raw.seqNum(),
        timeBounds: cond,
        memo: raw.memo(),
        operations: raw.operations(),
        ext: new xdr.TransactionV0Ext(0),
      });
      return new Transaction(xdr.TransactionEnvelope.envelopeTypeTxV0(
        new xdr.TransactionV0Envelope({ tx: v0tx, signatures: [] }),
      ), networkPassphrase);
    }
    if (kind !== 'TIME') raw.cond(this.preconditions(kind));
    return new Transaction(xdr.TransactionEnvelope.envelopeTypeTx(
      new xdr.TransactionV1Envelope({ tx: raw, signatures: [] }),
    ), networkPassphrase);
  }

  // Signs with `count` ed25519 keys and now and then a hash-x preimage or a signed-payload
  // signature; returns each signature's signer as a StrKey (G, X or P), in order.
  signWith(tx, count) {
    const signers = [];
    for (let i = 0; i < count; i++) {
      const k = this.key();
      tx.sign(k);
      signers.push(k.publicKey());
    }
    if (this.rng.chance(0.1)) {
      const preimage = this.rng.bytes(this.rng.range(1, 64));
      tx.signHashX(preimage);
      signers.push(StrKey.encodeSha256Hash(crypto.createHash('sha256').update(preimage).digest()));
    }
    if (this.rng.chance(0.1)) {
      const k = this.key();
      const payload = this.rng.bytes(this.rng.range(1, 64));
      tx.addDecoratedSignature(k.signPayloadDecorated(payload));
      signers.push(StrKey.encodeSignedPayload(new xdr.SignerKeyEd25519SignedPayload({ ed25519: k.rawPublicKey(), payload }).toXDR()));
    }
    return signers;
  }

  // One case: the envelope, its SDK description, and the G-addresses that signed (in order).
  next() {
    const r = this.rng;
    const networkPassphrase = r.chance(0.1) ? `Conformance Network ${r.u32()}` : r.pick(NETWORKS);
    const shape = r.int(10);
    const feeBump = shape >= 8;
    // A fee bump may wrap a V0 transaction: the SDK converts it to V1, keeping hash and signatures.
    const v0 = shape < 2 || (feeBump && r.chance(0.3));
    const inner = this.transaction(networkPassphrase, { v0, forFeeBump: feeBump });
    const innerSigners = this.signWith(inner, r.range(feeBump ? 1 : 0, 3));
    if (!feeBump) {
      return { network: networkPassphrase, xdr: inner.toEnvelope().toXDR('base64'), description: describeTx(inner), signers: innerSigners };
    }
    const innerBaseFee = Number(inner.fee) / inner.operations.length;
    const bump = TransactionBuilder.buildFeeBumpTransaction(
      this.muxed(), String(innerBaseFee + r.range(0, 10000)), inner, networkPassphrase,
    );
    const signers = this.signWith(bump, r.range(1, 2));
    return {
      network: networkPassphrase,
      xdr: bump.toEnvelope().toXDR('base64'),
      description: describeTx(bump),
      signers,
      innerSigners,
    };
  }
}

function generate(seedText, count) {
  const g = new Generator(seedText);
  return Array.from({ length: count }, () => g.next());
}

module.exports = { generate, NETWORKS };
