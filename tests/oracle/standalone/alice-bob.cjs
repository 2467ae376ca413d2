// The spec's Alice-and-Bob state channel example, ported to the current SDK and run against the
// standalone network: setup, round 0, funding, round 1, then either a cooperative close or a
// dispute (Bob submits his stale round-0 ratchet; Alice, watching Bob's version account, answers
// with her round-1 ratchet; the admin clock is advanced to the snapshots' minTime).
// Round 0 follows DESIGN.md: r_0 is strictly above R's sequence number after funding.
const { Horizon, Keypair, TransactionBuilder, Operation, Asset, Account } = require('@stellar/stellar-sdk');

const base = process.env.HORIZON_URL;
const passphrase = process.env.NETWORK_PASSPHRASE;
const mode = process.argv[2];
const server = new Horizon.Server(base, { allowHttp: true });
const TIMEOUT_CLAIM = 2 * 7 * 24 * 3600;
const TIMEOUT_CLAIM_DELAY = 7 * 24 * 3600;
const fee = '100';

async function ledgerTime() {
  const page = await server.ledgers().order('desc').limit(1).call();
  return Math.floor(Date.parse(page.records[0].closed_at) / 1000);
}

async function advance(seconds) {
  const res = await fetch(`${base}/admin/clock/advance?seconds=${seconds}`, { method: 'POST' });
  if (!res.ok) throw new Error(`advance failed: ${res.status}`);
  return res.json();
}

async function submit(tx) {
  try {
    const r = await server.submitTransaction(tx, { skipMemoRequiredCheck: true });
    return { ok: r.successful, hash: r.hash };
  } catch (e) {
    if (!e.response) throw e;
    return { ok: false, codes: e.response.data.extras.result_codes };
  }
}

function build(source, seq, timebounds, ops, signers) {
  const b = new TransactionBuilder(new Account(source, seq.toString()), { fee, networkPassphrase: passphrase, ...(timebounds ? { timebounds } : {}) });
  ops.forEach((op) => b.addOperation(op));
  if (!timebounds) b.setTimeout(0);
  const tx = b.build();
  signers.forEach((k) => tx.sign(k));
  return tx;
}

(async () => {
  const out = { mode };
  const alice = Keypair.random();
  const bob = Keypair.random();
  await server.friendbot(alice.publicKey()).call();
  await server.friendbot(bob.publicKey()).call();
  const aliceVersion = Keypair.random();
  const bobVersion = Keypair.random();
  const aliceRatchet = Keypair.random();
  const bobRatchet = Keypair.random();
  const R = aliceRatchet.publicKey();

  // Setup: version accounts and the ratchet account R (initially Alice's ratchet key only).
  const aliceAccount = await server.loadAccount(alice.publicKey());
  const setup = new TransactionBuilder(aliceAccount, { fee, networkPassphrase: passphrase })
    .addOperation(Operation.createAccount({ destination: aliceVersion.publicKey(), startingBalance: '2' }))
    .addOperation(Operation.createAccount({ destination: bobVersion.publicKey(), startingBalance: '2' }))
    .addOperation(Operation.createAccount({ destination: R, startingBalance: '2' }))
    .setTimeout(0).build();
  setup.sign(alice);
  out.setup = (await submit(setup)).ok;
  const aliceVersionSeq = BigInt((await server.loadAccount(aliceVersion.publicKey())).sequence);
  const bobVersionSeq = BigInt((await server.loadAccount(bobVersion.publicKey())).sequence);
  const ratchetSeq = BigInt((await server.loadAccount(R)).sequence);

  // r_j = r_0 + j*(n+1); funding consumes ratchetSeq+1, so r_0 = ratchetSeq + 2 is strictly above it.
  const r0 = ratchetSeq + 2n;
  const round = (j) => r0 + BigInt(j) * 3n;

  function snapshots(j, minTime, aliceAmount, both) {
    const tb = minTime === null ? null : { minTime, maxTime: 0 };
    const sA = build(R, round(j), tb, [Operation.payment({ destination: alice.publicKey(), asset: Asset.native(), amount: aliceAmount })], both);
    const sB = build(R, round(j) + 1n, tb, [Operation.setOptions({ signer: { ed25519PublicKey: bob.publicKey(), weight: 2 } })], both);
    return [sA, sB];
  }
  function ratchet(versionKey, versionSeq, j, time) {
    return build(versionKey.publicKey(), versionSeq, { minTime: time, maxTime: time + TIMEOUT_CLAIM },
      [Operation.bumpSequence({ source: R, bumpTo: round(j).toString() })], [versionKey, aliceRatchet, bobRatchet]);
  }

  // Round 0: snapshots and ratchets are signed before funding.
  const round0Time = await ledgerTime();
  const [snap0Alice, snap0Bob] = snapshots(0, round0Time + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY, '250', [aliceRatchet, bobRatchet]);
  const ratchet0Bob = ratchet(bobVersion, bobVersionSeq, 0, round0Time);

  // Funding: both deposit; Bob's ratchet key joins R, which becomes 2-of-2.
  const funding = build(R, ratchetSeq, null, [
    Operation.payment({ source: alice.publicKey(), destination: R, asset: Asset.native(), amount: '248' }),
    Operation.payment({ source: bob.publicKey(), destination: R, asset: Asset.native(), amount: '750' }),
    Operation.setOptions({ signer: { ed25519PublicKey: bobRatchet.publicKey(), weight: 1 }, lowThreshold: 2, medThreshold: 2, highThreshold: 2 }),
  ], [alice, bob, aliceRatchet]);
  out.funding = (await submit(funding)).ok;
  const funded = await server.loadAccount(R);
  out.fundedBalance = funded.balances.find((b) => b.asset_type === 'native').balance;
  out.r0AboveFundedSequence = r0 > BigInt(funded.sequence);

  // Round 1: Bob pays Alice 250 off-chain (250/750 -> 500/500).
  await advance(3600);
  const round1Time = await ledgerTime();
  const [snap1Alice, snap1Bob] = snapshots(1, round1Time + TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY, '500', [aliceRatchet, bobRatchet]);
  const ratchet1Alice = ratchet(aliceVersion, aliceVersionSeq, 1, round1Time);
  const ratchet1Bob = ratchet(bobVersion, bobVersionSeq, 1, round1Time);

  if (mode === 'cooperative') {
    const closingTime = await ledgerTime();
    const closeSeq = round(2);
    const closeRatchet = build(R, BigInt((await server.loadAccount(R)).sequence), { minTime: closingTime, maxTime: closingTime + TIMEOUT_CLAIM },
      [Operation.bumpSequence({ bumpTo: closeSeq.toString() })], [aliceRatchet, bobRatchet]);
    const [closeAlice, closeBob] = snapshots(2, null, '500', [aliceRatchet, bobRatchet]);
    out.closeRatchet = (await submit(closeRatchet)).ok;
    out.closeAlice = (await submit(closeAlice)).ok;
    out.closeBob = (await submit(closeBob)).ok;
    // Any older round is dead now: its ratchet is a no-op bump, its snapshots have stale sequence numbers.
    out.staleRatchetAfterClose = await submit(ratchet1Bob);
    out.staleSnapshotAfterClose = await submit(snap1Alice);
  } else {
    // Alice watches Bob's version account and answers any stale ratchet with her latest one.
    let answered;
    const answer = new Promise((resolve) => { answered = resolve; });
    const stop = server.transactions().forAccount(bobVersion.publicKey()).cursor('now').stream({
      onmessage: async (t) => {
        if (t.hash !== Buffer.from(ratchet1Bob.hash()).toString('hex')) {
          answered(await submit(ratchet1Alice));
        }
      },
    });
    await new Promise((r) => setTimeout(r, 300));
    out.staleRatchet = (await submit(ratchet0Bob)).ok;
    out.answer = await answer;
    stop();
    out.sequenceAfterAnswer = (await server.loadAccount(R)).sequence;
    out.expectedSequence = round(1).toString();
    out.snapshotTooEarly = await submit(snap1Alice);
    const advanced = await advance(TIMEOUT_CLAIM + TIMEOUT_CLAIM_DELAY);
    out.advancedCloseTime = advanced.closeTime;
    out.snap1Alice = (await submit(snap1Alice)).ok;
    out.snap1Bob = (await submit(snap1Bob)).ok;
    out.staleSnapshot = await submit(snap0Alice);
    out.staleSnapshotBob = await submit(snap0Bob);
  }

  const aliceAfter = await server.loadAccount(alice.publicKey());
  out.aliceBalance = aliceAfter.balances.find((b) => b.asset_type === 'native').balance;
  const rAfter = await server.loadAccount(R);
  out.bobControlsR = rAfter.signers.some((s) => s.key === bob.publicKey() && s.weight === 2);
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : e, e && e.response ? JSON.stringify(e.response.data) : '');
  process.exit(1);
});
