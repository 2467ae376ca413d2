'use strict';
// StrKey cases for the .NET suite: the SDK's verdict on arbitrary strings, and random valid
// StrKeys of every kind the core models (G, M, S, T, X, P) with their raw bytes.
const { StrKey, xdr } = require('@stellar/stellar-base');
const { Rng } = require('./rng');

const KINDS = {
  G: { name: 'AccountId', valid: (s) => StrKey.isValidEd25519PublicKey(s), decode: (s) => StrKey.decodeEd25519PublicKey(s), encode: (b) => StrKey.encodeEd25519PublicKey(b) },
  M: { name: 'MuxedAccount', valid: (s) => StrKey.isValidMed25519PublicKey(s), decode: (s) => StrKey.decodeMed25519PublicKey(s), encode: (b) => StrKey.encodeMed25519PublicKey(b) },
  S: { name: 'SecretSeed', valid: (s) => StrKey.isValidEd25519SecretSeed(s), decode: (s) => StrKey.decodeEd25519SecretSeed(s), encode: (b) => StrKey.encodeEd25519SecretSeed(b) },
  // The SDK has no isValid for T and X: the same checks its isValid makes for 32-byte kinds.
  T: { name: 'PreAuthTx', valid: (s) => valid32(s, StrKey.decodePreAuthTx), decode: (s) => StrKey.decodePreAuthTx(s), encode: (b) => StrKey.encodePreAuthTx(b) },
  X: { name: 'Sha256Hash', valid: (s) => valid32(s, StrKey.decodeSha256Hash), decode: (s) => StrKey.decodeSha256Hash(s), encode: (b) => StrKey.encodeSha256Hash(b) },
  P: {
    name: 'SignedPayload',
    // The SDK's isValid only bounds the length; the payload must also parse as the XDR
    // SignerKeyEd25519SignedPayload (length field, zero padding, payload <= 64 bytes).
    valid: (s) => {
      if (!StrKey.isValidSignedPayload(s)) return false;
      try {
        xdr.SignerKeyEd25519SignedPayload.fromXDR(StrKey.decodeSignedPayload(s));
        return true;
      } catch (e) {
        return false;
      }
    },
    decode: (s) => StrKey.decodeSignedPayload(s),
    encode: (b) => StrKey.encodeSignedPayload(b),
  },
};

function valid32(s, decode) {
  try {
    return s.length === 56 && decode(s).length === 32;
  } catch (e) {
    return false;
  }
}

// The SDK's verdict on one string: its kind (by the version character), whether it is valid,
// and the decoded raw bytes when it is.
function inspect(s) {
  const kind = KINDS[s[0]];
  if (!kind) return { kind: null, valid: false };
  const valid = kind.valid(s);
  return valid ? { kind: kind.name, valid, hex: kind.decode(s).toString('hex') } : { kind: kind.name, valid };
}

function rawFor(letter, rng) {
  switch (letter) {
    case 'M': return rng.bytes(40);
    case 'P': {
      const payload = rng.bytes(rng.range(1, 64));
      return new xdr.SignerKeyEd25519SignedPayload({ ed25519: rng.bytes(32), payload }).toXDR();
    }
    default: return rng.bytes(32);
  }
}

function generate(seedText, count) {
  const rng = new Rng(seedText);
  const letters = Object.keys(KINDS);
  return Array.from({ length: count }, () => {
    const letter = rng.pick(letters);
    const raw = rawFor(letter, rng);
    return { kind: KINDS[letter].name, strkey: KINDS[letter].encode(raw), hex: raw.toString('hex') };
  });
}

module.exports = { inspect, generate };
