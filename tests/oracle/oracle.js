'use strict';
// The conformance oracle: one long-lived process speaking line-delimited JSON on stdin/stdout.
// Each request line is {"id": n, "method": "...", "params": {...}}; each answer line is
// {"id": n, "result": ...} or {"id": n, "error": "..."}. Methods take whole batches so one
// round trip carries many cases. Per-case failures are reported inside the batch result so one
// bad case does not hide the others.
const readline = require('readline');
const { version } = require('@stellar/stellar-base/package.json');
const { checkEnvelope } = require('./describe');
const { generate } = require('./generate');
const strkey = require('./strkey');

const methods = {
  hello: () => ({ stellarBase: version, node: process.version }),

  // params: {cases: [{xdr, network, signers: [G…], innerSigners: [G…]}]}
  // result: [{description, signedBy: [G…|null], innerSignedBy?} | {error}]
  check: ({ cases }) => cases.map((c) => perCase(() => checkEnvelope(c.xdr, c.network, c.signers, c.innerSigners))),

  // params: {seed, count} -> [{network, xdr, description, signers, innerSigners?}]
  generate: ({ seed, count }) => generate(seed, count),

  // params: {cases: [string]} -> [{valid, kind?, hex?, ...} ]
  strkeys: ({ cases }) => cases.map((s) => perCase(() => strkey.inspect(s))),

  // params: {seed, count} -> [{kind, strkey, hex}]
  generateStrkeys: ({ seed, count }) => strkey.generate(seed, count),
};

function perCase(fn) {
  try {
    return fn();
  } catch (e) {
    return { error: String(e && e.message ? e.message : e) };
  }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity, terminal: false });
rl.on('line', (line) => {
  if (!line.trim()) return;
  let id = null;
  let answer;
  try {
    const request = JSON.parse(line);
    id = request.id;
    const method = methods[request.method];
    if (!method) throw new Error(`unknown method ${request.method}`);
    answer = { id, result: method(request.params || {}) };
  } catch (e) {
    answer = { id, error: String(e && e.stack ? e.stack : e) };
  }
  process.stdout.write(`${JSON.stringify(answer)}\n`);
});
// When stdin closes, node exits by itself once the pending answers are written.
