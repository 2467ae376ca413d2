// The second oracle: the Rust reference XDR (rs-stellar-xdr, compiled to wasm as
// @stellar/stellar-xdr-json). One-shot: reads {"cases": [{"type", "xdr"}]} on stdin and prints one
// JSON array, [{"json": <decoded value>} | {"error": "..."}], in the same order.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { initSync, decode } from '@stellar/stellar-xdr-json';

const require = createRequire(import.meta.url);
initSync(fs.readFileSync(require.resolve('@stellar/stellar-xdr-json/stellar_xdr_json_bg.wasm')));

export function decodeCase({ type, xdr }) {
  try {
    return { json: JSON.parse(decode(type, xdr)) };
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { cases } = JSON.parse(fs.readFileSync(0, 'utf8'));
  process.stdout.write(`${JSON.stringify(cases.map(decodeCase))}\n`);
}
