using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Stellar;
using Watchtower.Tower.Storage;

namespace Watchtower.Tower.Detection;

/// <summary>
/// Finds the channels a closed ledger touches: every transaction (successful or failed — a failed
/// transaction still consumes its source's sequence number), its source, every operation's source,
/// and for a fee bump the fee source and the inner transaction's accounts, looked up in the
/// in-process watched index.
/// </summary>
public static class LedgerMatcher
{
    /// <summary>Channels touched by <paramref name="ledger"/>, each once, in order of first appearance.</summary>
    public static IReadOnlyList<ChannelId> Match(ClosedLedger ledger, IWatchedIndex index)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(index);
        var seen = new HashSet<ChannelId>();
        var found = new List<ChannelId>();
        foreach (var tx in ledger.Transactions)
        {
            MatchEnvelope(tx.Envelope, index, seen, found);
        }
        return found;
    }

    private static void MatchEnvelope(TransactionEnvelope envelope, IWatchedIndex index, HashSet<ChannelId> seen, List<ChannelId> found)
    {
        switch (envelope)
        {
            case TransactionV1Envelope v1:
                MatchTransaction(v1.Transaction, index, seen, found);
                break;
            case TransactionV0Envelope v0:
                MatchTransaction(v0.Transaction, index, seen, found);
                break;
            case FeeBumpEnvelope fb:
                Add(fb.FeeBump.FeeSource.Account, index, seen, found);
                MatchEnvelope(fb.FeeBump.Inner, index, seen, found);
                break;
        }
    }

    private static void MatchTransaction(Transaction tx, IWatchedIndex index, HashSet<ChannelId> seen, List<ChannelId> found)
    {
        Add(tx.Source.Account, index, seen, found);
        foreach (var op in tx.Operations)
        {
            if (op.SourceAccount is { } source)
            {
                Add(source.Account, index, seen, found);
            }
        }
    }

    private static void Add(AccountId account, IWatchedIndex index, HashSet<ChannelId> seen, List<ChannelId> found)
    {
        var channels = index.ChannelsFor(account);
        foreach (var channel in channels)
        {
            if (seen.Add(channel))
            {
                found.Add(channel);
            }
        }
    }
}
