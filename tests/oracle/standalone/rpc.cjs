// Drives the standalone network's Stellar RPC through the official SDK's rpc.Server.
const { rpc, Horizon, Keypair, TransactionBuilder, Operation, Asset, xdr } = require('@stellar/stellar-sdk');

const passphrase = process.env.NETWORK_PASSPHRASE;
const server = new rpc.Server(process.env.RPC_URL, { allowHttp: true });
const horizon = new Horizon.Server(process.env.HORIZON_URL, { allowHttp: true });
const out = {};

(async () => {
  const network = await server.getNetwork();
  out.network = { passphrase: network.passphrase, protocol: network.protocolVersion, friendbot: network.friendbotUrl };
  const alice = Keypair.random();
  await horizon.friendbot(alice.publicKey()).call();

  const latest = await server.getLatestLedger();
  out.latest = { sequence: latest.sequence, id: latest.id, headerSeq: latest.headerXdr.ledgerSeq };

  const account = await server.getAccount(alice.publicKey());
  out.account = { sequence: account.sequenceNumber() };
  const entry = await server.getAccountEntry(alice.publicKey());
  out.entry = { balance: entry.balance.toString() };

  const tx = new TransactionBuilder(account, { fee: '100', networkPassphrase: passphrase })
    .addOperation(Operation.bumpSequence({ bumpTo: '0' })).setTimeout(0).build();
  tx.sign(alice);
  const sent = await server.sendTransaction(tx);
  out.send = { status: sent.status, hash: sent.hash };
  const polled = await server.pollTransaction(sent.hash, { attempts: 50, sleepStrategy: () => 100 });
  out.poll = { status: polled.status, ledger: polled.ledger, applicationOrder: polled.applicationOrder, resultCode: polled.resultXdr.result.type };

  const again = await server.sendTransaction(tx);
  out.resend = { status: again.status, error: again.errorResult ? again.errorResult.result.type : null };

  // An operation the network does not model: ERROR with a txNOT_SUPPORTED result, under the SDK's hash.
  const offer = new TransactionBuilder(account, { fee: '100', networkPassphrase: passphrase })
    .addOperation(Operation.manageSellOffer({ selling: Asset.native(), buying: new Asset('USD', alice.publicKey()), amount: '1', price: '1' }))
    .setTimeout(0).build();
  offer.sign(alice);
  const refused = await server.sendTransaction(offer);
  out.notSupported = {
    status: refused.status, hash: refused.hash, expectedHash: Buffer.from(offer.hash()).toString('hex'),
    error: refused.errorResult ? refused.errorResult.result.type : null,
  };

  const missing = await server.getTransaction('00'.repeat(32));
  out.missing = missing.status;

  const txs = await server.getTransactions({ startLedger: polled.ledger, pagination: { limit: 10 } });
  out.transactions = { hashes: txs.transactions.map((t) => t.txHash), cursor: txs.cursor };
  const ledgers = await server.getLedgers({ startLedger: polled.ledger, pagination: { limit: 2 } });
  out.ledgers = {
    sequences: ledgers.ledgers.map((l) => l.sequence),
    metaTxCount: ledgers.ledgers[0].metadataXdr.value.txProcessing.length,
    headerSeq: ledgers.ledgers[0].headerXdr.header.ledgerSeq,
  };
  const fees = await server.getFeeStats();
  out.fees = { p50: fees.inclusionFee.p50, ledgerCount: fees.inclusionFee.ledgerCount };
  console.log(JSON.stringify(out));
})().catch((e) => {
  console.error(e && e.stack ? e.stack : JSON.stringify(e));
  process.exit(1);
});
