'use strict';
// The canonical JSON description of a transaction envelope, as the official SDK understands it.
// It has exactly the shape `watchtower tx decode` prints (see README.md here), so the .NET suite
// can compare the two field by field.
const crypto = require('crypto');
const {
  xdr, Transaction, FeeBumpTransaction, TransactionBuilder, SignerKey, Keypair, StrKey,
} = require('@stellar/stellar-base');

const OPERATION_TYPES = {
  createAccount: 'CREATE_ACCOUNT',
  payment: 'PAYMENT',
  setOptions: 'SET_OPTIONS',
  changeTrust: 'CHANGE_TRUST',
  accountMerge: 'ACCOUNT_MERGE',
  manageData: 'MANAGE_DATA',
  bumpSequence: 'BUMP_SEQUENCE',
};

function describeEnvelope(base64, networkPassphrase) {
  const tx = TransactionBuilder.fromXDR(base64, networkPassphrase);
  return describeTx(tx);
}

function describeTx(tx) {
  if (tx instanceof FeeBumpTransaction) {
    return {
      hash: tx.hash().toString('hex'),
      xdr: tx.toEnvelope().toXDR('base64'),
      envelopeType: 'ENVELOPE_TYPE_TX_FEE_BUMP',
      feeSource: tx.feeSource,
      fee: tx.fee,
      innerTransaction: describeTx(tx.innerTransaction),
      signatures: describeSignatures(tx.signatures),
    };
  }
  if (!(tx instanceof Transaction)) throw new Error('not a transaction');
  const env = tx.toEnvelope();
  const isV0 = env.switch() === xdr.EnvelopeType.envelopeTypeTxV0();
  return {
    hash: tx.hash().toString('hex'),
    xdr: env.toXDR('base64'),
    envelopeType: isV0 ? 'ENVELOPE_TYPE_TX_V0' : 'ENVELOPE_TYPE_TX',
    source: tx.source,
    fee: tx.fee,
    sequence: tx.sequence,
    preconditions: describePreconditions(tx, isV0 ? null : env.v1().tx().cond().switch()),
    memo: describeMemo(tx.memo),
    operations: tx.operations.map((op, i) => describeOperation(op, tx.tx.operations()[i])),
    signatures: describeSignatures(tx.signatures),
  };
}

function timeBounds(tx) {
  return tx.timeBounds ? { minTime: tx.timeBounds.minTime, maxTime: tx.timeBounds.maxTime } : null;
}

// `kind` is the V1 envelope's precondition arm, null for a V0 envelope (whose only precondition
// is its optional time bounds).
function describePreconditions(tx, kind) {
  if (kind === null) {
    return tx.timeBounds ? { type: 'TIME', timeBounds: timeBounds(tx) } : { type: 'NONE' };
  }
  if (kind === xdr.PreconditionType.precondNone()) return { type: 'NONE' };
  if (kind === xdr.PreconditionType.precondTime()) return { type: 'TIME', timeBounds: timeBounds(tx) };
  return {
    type: 'V2',
    timeBounds: timeBounds(tx),
    ledgerBounds: tx.ledgerBounds
      ? { minLedger: tx.ledgerBounds.minLedger, maxLedger: tx.ledgerBounds.maxLedger }
      : null,
    minSeqNum: tx.minAccountSequence === undefined ? null : tx.minAccountSequence,
    minSeqAge: tx.minAccountSequenceAge.toString(),
    minSeqLedgerGap: tx.minAccountSequenceLedgerGap,
    extraSigners: tx.extraSigners.map((k) => SignerKey.encodeSignerKey(k)),
  };
}

function describeMemo(memo) {
  switch (memo.type) {
    case 'none': return { type: 'MEMO_NONE' };
    case 'text': return { type: 'MEMO_TEXT', value: Buffer.from(memo.value).toString('utf8') };
    case 'id': return { type: 'MEMO_ID', value: memo.value };
    case 'hash': return { type: 'MEMO_HASH', value: Buffer.from(memo.value).toString('hex') };
    case 'return': return { type: 'MEMO_RETURN', value: Buffer.from(memo.value).toString('hex') };
    default: throw new Error(`unknown memo ${memo.type}`);
  }
}

function asset(a) { return a.isNative() ? 'native' : `${a.getCode()}:${a.getIssuer()}`; }

function nullable(v) { return v === undefined ? null : v; }

// `op` is the SDK's decoded operation; `raw` the XDR operation, used only where the SDK's object
// drops information (the signer key kind is kept as a StrKey to match ours).
function describeOperation(op, raw) {
  const type = OPERATION_TYPES[op.type];
  if (!type) throw new Error(`unsupported operation ${op.type}`);
  let fields;
  switch (op.type) {
    case 'createAccount':
      fields = { destination: op.destination, startingBalance: op.startingBalance };
      break;
    case 'payment':
      fields = { destination: op.destination, asset: asset(op.asset), amount: op.amount };
      break;
    case 'setOptions': {
      const rawSigner = raw.body().value().signer();
      fields = {
        inflationDest: nullable(op.inflationDest),
        clearFlags: nullable(op.clearFlags),
        setFlags: nullable(op.setFlags),
        masterWeight: nullable(op.masterWeight),
        lowThreshold: nullable(op.lowThreshold),
        medThreshold: nullable(op.medThreshold),
        highThreshold: nullable(op.highThreshold),
        homeDomain: nullable(op.homeDomain),
        signer: rawSigner
          ? { key: SignerKey.encodeSignerKey(rawSigner.key()), weight: op.signer.weight }
          : null,
      };
      break;
    }
    case 'changeTrust':
      fields = { line: asset(op.line), limit: op.limit };
      break;
    case 'accountMerge':
      fields = { destination: op.destination };
      break;
    case 'manageData':
      fields = { name: op.name, value: op.value ? Buffer.from(op.value).toString('base64') : null };
      break;
    case 'bumpSequence':
      fields = { bumpTo: op.bumpTo };
      break;
    default:
      throw new Error(`unsupported operation ${op.type}`);
  }
  return { type, source: nullable(op.source), fields };
}

function describeSignatures(signatures) {
  return signatures.map((s) => ({
    hint: Buffer.from(s.hint()).toString('hex'),
    signature: Buffer.from(s.signature()).toString('base64'),
  }));
}

// A predicate for signatures by one candidate signer, given as a StrKey: G (ed25519 over the
// hash), X (hash-x: the signature is a preimage of the hash) or P (ed25519 over the signed
// payload, with the payload-adjusted hint the SDK's signPayloadDecorated gives).
function matcher(candidate) {
  switch (candidate[0]) {
    case 'G': {
      const kp = Keypair.fromPublicKey(candidate);
      return (hash, hint, sig) => kp.signatureHint().equals(hint) && kp.verify(hash, sig);
    }
    case 'X': {
      const image = StrKey.decodeSha256Hash(candidate);
      return (hash, hint, sig) => image.subarray(28).equals(hint)
        && crypto.createHash('sha256').update(sig).digest().equals(image);
    }
    case 'P': {
      const sp = xdr.SignerKeyEd25519SignedPayload.fromXDR(StrKey.decodeSignedPayload(candidate));
      const kp = Keypair.fromPublicKey(StrKey.encodeEd25519PublicKey(sp.ed25519()));
      const payload = sp.payload();
      // As the SDK's signPayloadDecorated: key hint XOR the payload's last 4 bytes, zero-padded.
      const tail = Buffer.concat([payload.subarray(-4), Buffer.alloc(4)]).subarray(0, 4);
      const expected = kp.signatureHint().map((b, i) => b ^ tail[i]);
      return (hash, hint, sig) => expected.equals(hint) && kp.verify(payload, sig);
    }
    default:
      throw new Error(`unsupported signer ${candidate}`);
  }
}

// For each signature: which candidate signer (a StrKey) it is valid for, or null.
function checkSignatures(hash, signatures, candidates) {
  const matchers = (candidates || []).map((c) => [c, matcher(c)]);
  return signatures.map((s) => {
    const hint = Buffer.from(s.hint());
    const sig = Buffer.from(s.signature());
    const found = matchers.find(([, m]) => m(hash, hint, sig));
    return found ? found[0] : null;
  });
}

function checkEnvelope(base64, networkPassphrase, signers, innerSigners) {
  const tx = TransactionBuilder.fromXDR(base64, networkPassphrase);
  const result = {
    description: describeTx(tx),
    signedBy: checkSignatures(tx.hash(), tx.signatures, signers),
  };
  if (tx instanceof FeeBumpTransaction) {
    const inner = tx.innerTransaction;
    result.innerSignedBy = checkSignatures(inner.hash(), inner.signatures, innerSigners);
  }
  return result;
}

module.exports = { describeEnvelope, describeTx, checkEnvelope };
