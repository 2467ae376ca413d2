'use strict';
// Deterministic PRNG (xoshiro128**, state seeded from SHA-256 of the seed text) so that a seed
// printed by the .NET suite replays exactly the same JavaScript-built cases.
const crypto = require('crypto');

class Rng {
  constructor(seedText) {
    const h = crypto.createHash('sha256').update(String(seedText)).digest();
    this.s = new Uint32Array([h.readUInt32LE(0), h.readUInt32LE(4), h.readUInt32LE(8), h.readUInt32LE(12)]);
    if (this.s.every((x) => x === 0)) this.s[0] = 1;
  }

  u32() {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  // Uniform integer in [0, n) for n <= 2^32.
  int(n) {
    if (n <= 0) throw new Error('int(n) needs n > 0');
    return Math.floor((this.u32() / 4294967296) * n);
  }

  range(lo, hi) { return lo + this.int(hi - lo + 1); }

  chance(p) { return this.u32() / 4294967296 < p; }

  pick(items) { return items[this.int(items.length)]; }

  bytes(n) {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.u32() & 0xff;
    return b;
  }

  u64() { return (BigInt(this.u32()) << 32n) | BigInt(this.u32()); }

  // Values that exercise edge cases more often than a uniform draw would.
  u64Edgy() {
    switch (this.int(6)) {
      case 0: return 0n;
      case 1: return 0xffffffffffffffffn;
      case 2: return BigInt(this.u32());
      default: return this.u64();
    }
  }

  i64NonNegative() {
    switch (this.int(6)) {
      case 0: return 0n;
      case 1: return 0x7fffffffffffffffn;
      case 2: return BigInt(this.u32());
      default: return this.u64() & 0x7fffffffffffffffn;
    }
  }

  u32Edgy() {
    switch (this.int(5)) {
      case 0: return 0;
      case 1: return 0xffffffff;
      default: return this.u32();
    }
  }
}

function rotl(x, k) { return ((x << k) | (x >>> (32 - k))) >>> 0; }

module.exports = { Rng };
