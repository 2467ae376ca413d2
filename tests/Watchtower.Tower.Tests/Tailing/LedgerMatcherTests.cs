using System.Collections.Immutable;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Detection;
using Watchtower.Tower.Storage;
using Xunit;

namespace Watchtower.Tower.Tests.Tailing;

public class LedgerMatcherTests
{
    private sealed class Index(Dictionary<AccountId, ChannelId[]> map) : IWatchedIndex
    {
        public ImmutableArray<ChannelId> ChannelsFor(AccountId account) => map.TryGetValue(account, out var c) ? [.. c] : [];

        public bool IsWatched(AccountId account) => map.ContainsKey(account);

        public int AccountCount => map.Count;
    }

    private static readonly TransactionResult Ok = Xdr.FromBase64("AAAAAAAAAGQAAAAAAAAAAQAAAAAAAAALAAAAAAAAAAA=");

    private static class Xdr
    {
        public static TransactionResult FromBase64(string s) => Watchtower.Stellar.Xdr.XdrCodec.FromBase64<TransactionResult>(s);
    }

    private static ChannelId Channel(int i) => ChannelId.Derive(Network.Standalone, KeyPair.Random().AccountId, KeyPair.Random().AccountId);

    private static LedgerTransaction Tx(TransactionEnvelope env, bool ok = true) =>
        new(env.Hash(Network.Standalone), env, ok, Ok, 5, "1");

    private static ClosedLedger Ledger(params LedgerTransaction[] txs) =>
        new(new LedgerHeaderInfo(5, DateTimeOffset.UnixEpoch, "h", 100, 23), [.. txs]);

    private static TransactionV1Envelope Envelope(AccountId source, AccountId? opSource = null) =>
        new TransactionBuilder(source, new SequenceNumber(1))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(9)) { SourceAccount = opSource is { } o ? o : null })
            .BuildEnvelope();

    [Fact]
    public void TransactionSource_OperationSource_AndFeeBumpInner_AllMatch()
    {
        var (version, escrow, inner, stranger) = (KeyPair.Random().AccountId, KeyPair.Random().AccountId, KeyPair.Random().AccountId, KeyPair.Random().AccountId);
        var (c1, c2, c3) = (Channel(1), Channel(2), Channel(3));
        var index = new Index(new() { [version] = [c1], [escrow] = [c2], [inner] = [c3] });
        var bump = new FeeBumpEnvelope(FeeBumpTransaction.Wrap(Envelope(inner), stranger, 400), []);

        var found = LedgerMatcher.Match(Ledger(Tx(Envelope(version)), Tx(Envelope(stranger, escrow), ok: false), Tx(bump)), index);

        Assert.Equal([c1, c2, c3], found);
    }

    [Fact]
    public void EachChannelIsReportedOnce()
    {
        var (version, escrow) = (KeyPair.Random().AccountId, KeyPair.Random().AccountId);
        var c = Channel(1);
        var index = new Index(new() { [version] = [c], [escrow] = [c] });

        var found = LedgerMatcher.Match(Ledger(Tx(Envelope(version, escrow)), Tx(Envelope(escrow))), index);

        Assert.Equal([c], found);
    }

    [Fact]
    public void UnwatchedActivity_MatchesNothing()
    {
        var index = new Index(new() { [KeyPair.Random().AccountId] = [Channel(1)] });

        Assert.Empty(LedgerMatcher.Match(Ledger(Tx(Envelope(KeyPair.Random().AccountId))), index));
    }
}
