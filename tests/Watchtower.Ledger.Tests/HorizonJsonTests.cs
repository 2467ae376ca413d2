using System.Text.Json;
using Watchtower.Ledger.Horizon;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Ledger.Tests;

public class HorizonJsonTests
{
    [Fact]
    public void Account_KeepsMasterWeightApartFromTheOtherSigners()
    {
        var account = KeyPair.Random().AccountId;
        var signer = KeyPair.Random().AccountId;
        var preAuth = new PreAuthTxSignerKey(Hash256.Sha256([1, 2, 3]));
        using var doc = JsonDocument.Parse(Samples.Load("horizon-account.json",
            ("ACCOUNT", account.ToString()), ("SIGNER", signer.ToString()), ("PREAUTH", preAuth.ToString())));

        var snapshot = HorizonJson.Account(doc.RootElement);

        Assert.Equal(account, snapshot.Id);
        Assert.Equal(new SequenceNumber(120192344791187457), snapshot.Sequence);
        Assert.Equal(Stroops.Parse("9999.99998"), snapshot.Balance);
        Assert.Equal(new Thresholds(2, 1, 2, 3), snapshot.Thresholds);
        Signer[] expected = [new Signer(new Ed25519SignerKey(signer), 1), new Signer(preAuth, 2)];
        Assert.Equal(expected[0], snapshot.Signers[0]);
        Assert.Equal(expected[1], snapshot.Signers[1]);
        Assert.Equal(2, snapshot.Signers.Length);
        Assert.Equal(27985u, snapshot.SequenceLedger);
        Assert.Equal(1700000000ul, snapshot.SequenceTime);
    }

    [Fact]
    public void Ledger_ReadsHeaderFieldsAndTransactionCount()
    {
        using var doc = JsonDocument.Parse(Samples.Load("horizon-ledger.json",
            ("SEQ", "7"), ("TOKEN", HorizonLedgerClient.Cursor(7)), ("HASH", new string('a', 64)),
            ("OK", "3"), ("FAILED", "2"), ("CLOSED_AT", "2023-11-14T22:13:20Z")));

        var header = HorizonJson.Ledger(doc.RootElement);

        Assert.Equal(new LedgerHeaderInfo(7, DateTimeOffset.FromUnixTimeSeconds(1700000000), new string('a', 64), 100, 23), header);
        Assert.Equal(5, HorizonJson.TransactionCount(doc.RootElement));
    }

    [Fact]
    public void Transaction_DecodesEnvelopeAndResultOfAFailedTransaction()
    {
        var source = KeyPair.Random();
        var envelope = Samples.Ratchet(source, KeyPair.Random().AccountId, 50);
        var hash = envelope.Hash(Network.Standalone);
        using var doc = JsonDocument.Parse(Samples.Load("horizon-transaction.json",
            ("HASH", hash.ToString()), ("TOKEN", "30064775168"), ("SUCCESSFUL", "false"), ("LEDGER", "7"),
            ("SOURCE", source.AccountId.ToString()), ("ENVELOPE", envelope.ToXdrBase64()), ("RESULT", Samples.FailedResult)));

        var tx = HorizonJson.Transaction(doc.RootElement);

        Assert.Equal(hash, tx.Hash);
        Assert.Equal(envelope, tx.Envelope);
        Assert.False(tx.Successful);
        Assert.Equal(TransactionResultCode.TxFailed, tx.Result.Code);
        Assert.Equal(7u, tx.Ledger);
        Assert.Equal("30064775168", tx.PagingToken);
    }

    [Fact]
    public void FeeStats_ReadsChargedPercentilesAndCapacity()
    {
        using var doc = JsonDocument.Parse(Samples.Load("horizon-fee-stats.json"));

        Assert.Equal(new FeeStatsInfo(100, 150, 300, 1000, 0.97), HorizonJson.FeeStats(doc.RootElement));
    }

    [Fact]
    public void SubmitProblem_ReportsHorizonResultCodesAndResult()
    {
        var envelope = Samples.Ratchet(KeyPair.Random(), KeyPair.Random().AccountId, 50);
        var hash = envelope.Hash(Network.Standalone);
        using var doc = JsonDocument.Parse(Samples.Load("horizon-submit-bad-seq.json", ("ENVELOPE", envelope.ToXdrBase64())));

        var outcome = HorizonJson.SubmitResponse(hash, 400, doc.RootElement);

        Assert.NotNull(outcome);
        Assert.False(outcome.Success);
        Assert.Equal("tx_bad_seq", outcome.ResultCodesText);
        Assert.Equal(TransactionResultCode.TxBadSeq, outcome.Result!.Code);
    }

    [Fact]
    public void MalformedRecord_IsATypedClientError()
    {
        using var doc = JsonDocument.Parse("""{"sequence": "not a number", "closed_at": "x", "hash": "h"}""");

        Assert.Throws<LedgerClientException>(() => HorizonJson.Ledger(doc.RootElement));
    }
}
