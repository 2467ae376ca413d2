// Drives the standalone network through the official SDK's Horizon.Server and prints what it saw as JSON.
const { Horizon, Keypair, TransactionBuilder, Operation, Asset, Account, xdr } = require('@stellar/stellar-sdk');

const url = process.env.HORIZON_URL;
const passphrase = process.env.NETWORK_PASSPHRASE;
const server = new Horizon.Server(url, { allowHttp: true });
const out = {};

function codes(e) {
  if (!e.response) throw e;
  const data = e.response.data;
  // result_xdr must decode with the SDK's own XDR definitions
  xdr.TransactionResult.fromXDR(data.extras.result_xdr, 'base64');
  return { status: e.response.status, ...data.extras.result_codes };
}

async function expectFailure(tx) {
  try {
    await server.submitTransaction(tx);
    return { status: 200 };
  } catch (e) {
    return codes(e);
  }
}

function waitFor(pred, ms, describe) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => (pred() ? resolve() : Date.now() - started > ms ? reject(new Error(`timeout waiting for stream: ${describe()}`)) : setTimeout(tick, 20));
    tick();
  });
}

(async () => {
  const root = await server.root();
  out.root = { passphrase: root.network_passphrase, latest: root.history_latest_ledger, protocol: root.current_protocol_version };
  const alice = Keypair.random();
  const bob = Keypair.random();
  await server.friendbot(alice.publicKey()).call();
  let account = await server.loadAccount(alice.publicKey());
  out.friendbot = { balance: account.balances.find((b) => b.asset_type === 'native').balance, sequence: account.sequence, signers: account.signers.length };

  const ledgers = [];
  const txs = [];
  const stopLedgers = server.ledgers().cursor('now').stream({ onmessage: (l) => ledgers.push(l.sequence) });
  const stopTxs = server.transactions().forAccount(alice.publicKey()).includeFailed(true).cursor('now').stream({ onmessage: (t) => txs.push(t.hash) });
  await new Promise((r) => setTimeout(r, 200));

  const opts = { fee: '100', networkPassphrase: passphrase };
  let tx = new TransactionBuilder(account, opts)
    .addOperation(Operation.createAccount({ destination: bob.publicKey(), startingBalance: '10' }))
    .setTimeout(0).build();
  tx.sign(alice);
  const created = await server.submitTransaction(tx);
  out.create = { successful: created.successful, ledger: created.ledger, hash: created.hash, feeCharged: created.fee_charged };

  const nobody = Keypair.random().publicKey();
  tx = new TransactionBuilder(account, opts)
    .addOperation(Operation.payment({ destination: nobody, asset: Asset.native(), amount: '1' }))
    .setTimeout(0).build();
  tx.sign(alice);
  out.noDestination = await expectFailure(tx);

  account = await server.loadAccount(alice.publicKey());
  out.sequenceAfterFailure = account.sequence;
  tx = new TransactionBuilder(new Account(alice.publicKey(), (BigInt(account.sequence) + 5n).toString()), opts)
    .addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(alice);
  out.badSeq = await expectFailure(tx);

  tx = new TransactionBuilder(account, opts).addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(bob);
  out.badAuth = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  tx = new TransactionBuilder(account, { ...opts, timebounds: { minTime: 4102444800, maxTime: 0 } })
    .addOperation(Operation.bumpSequence({ bumpTo: '0' })).build();
  tx.sign(alice);
  out.tooEarly = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  tx = new TransactionBuilder(account, { ...opts, fee: '50' }).addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(alice);
  out.insufficientFee = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  tx = new TransactionBuilder(account, { ...opts, timebounds: { minTime: 0, maxTime: 1000 } })
    .addOperation(Operation.bumpSequence({ bumpTo: '0' })).build();
  tx.sign(alice);
  out.tooLate = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  tx = new TransactionBuilder(account, opts).addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(alice);
  tx.sign(Keypair.random());
  out.badAuthExtra = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  tx = new TransactionBuilder(account, opts)
    .addOperation(Operation.payment({ destination: bob.publicKey(), asset: Asset.native(), amount: '20000' }))
    .setTimeout(0).build();
  tx.sign(alice);
  out.underfunded = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  const poor = Keypair.random();
  tx = new TransactionBuilder(account, opts)
    .addOperation(Operation.createAccount({ destination: poor.publicKey(), startingBalance: '1' }))
    .setTimeout(0).build();
  tx.sign(alice);
  await server.submitTransaction(tx);
  tx = new TransactionBuilder(await server.loadAccount(poor.publicKey()), opts)
    .addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(poor);
  out.insufficientBalance = await expectFailure(tx);
  account = await server.loadAccount(alice.publicKey());

  const inner = new TransactionBuilder(account, opts).addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  inner.sign(alice);
  const bump = TransactionBuilder.buildFeeBumpTransaction(bob, '300', inner, passphrase);
  bump.sign(bob);
  const bumped = await server.submitTransaction(bump);
  const bumpedRecord = await server.transactions().transaction(bumped.hash).call();
  out.feeBump = {
    successful: bumped.successful, feeAccount: bumpedRecord.fee_account, innerHash: bumpedRecord.inner_transaction.hash,
    expectedInner: Buffer.from(inner.hash()).toString('hex'), feeCharged: bumpedRecord.fee_charged,
    resultCode: xdr.TransactionResult.fromXDR(bumpedRecord.result_xdr, 'base64').result.type,
  };
  const byInner = await server.transactions().transaction(Buffer.from(inner.hash()).toString('hex')).call();
  out.feeBump.foundByInnerHash = byInner.hash === bumped.hash;

  try {
    await server.loadAccount(nobody);
    out.missingAccount = 200;
  } catch (e) {
    out.missingAccount = e.response ? e.response.status : e.name;
  }

  tx = new TransactionBuilder(account, opts).addOperation(Operation.manageData({ name: 'config.memo_required', value: '1' })).setTimeout(0).build();
  tx.sign(alice);
  await server.submitTransaction(tx);
  account = await server.loadAccount(alice.publicKey());
  out.data = { attr: account.data_attr['config.memo_required'], fetched: (await account.data({ key: 'config.memo_required' })).value };
  // An operation the network does not model: 400 tx_not_supported, under the SDK's hash.
  tx = new TransactionBuilder(account, opts)
    .addOperation(Operation.manageSellOffer({ selling: Asset.native(), buying: new Asset('USD', bob.publicKey()), amount: '1', price: '1' }))
    .setTimeout(0).build();
  tx.sign(alice);
  try {
    await server.submitTransaction(tx);
    out.notSupported = { status: 200 };
  } catch (e) {
    out.notSupported = { ...codes(e), hash: e.response.data.extras.hash, expectedHash: Buffer.from(tx.hash()).toString('hex') };
  }
  // SEP-29: the SDK refuses to pay an account that requires a memo, reading its data entry first.
  tx = new TransactionBuilder(await server.loadAccount(bob.publicKey()), opts)
    .addOperation(Operation.payment({ destination: alice.publicKey(), asset: Asset.native(), amount: '1' })).setTimeout(0).build();
  tx.sign(bob);
  try {
    await server.submitTransaction(tx);
    out.memoRequired = 'submitted';
  } catch (e) {
    out.memoRequired = e.constructor.name;
  }

  const successfulOnly = await server.transactions().forAccount(alice.publicKey()).limit(200).call();
  out.defaultExcludesFailed = successfulOnly.records.every((r) => r.successful);
  const page = await server.transactions().forAccount(alice.publicKey()).includeFailed(true).order('asc').limit(2).call();
  const next = await page.next();
  out.paging = { first: page.records.map((r) => r.hash), next: next.records.map((r) => r.hash) };
  const ledgerTxs = await server.transactions().forLedger(created.ledger).call();
  out.ledgerTransactions = ledgerTxs.records.map((r) => r.hash);
  const fees = await server.feeStats();
  out.feeStats = { lastBase: fees.last_ledger_base_fee, p50: fees.fee_charged.p50 };

  await waitFor(() => txs.length >= 5 && ledgers.length >= 5, 5000, () => `${txs.length} txs, ${ledgers.length} ledgers`);
  stopLedgers();
  stopTxs();
  out.streamed = { ledgers, txs };
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack, e && e.response ? `${e.response.status} ${JSON.stringify(e.response.data)}` : '');
  process.exit(1);
});
