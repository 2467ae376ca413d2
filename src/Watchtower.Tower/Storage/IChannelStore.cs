using System.Collections.Immutable;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>
/// The tower's durable state: subscriptions, channel records (ciphertext + clear metadata), the
/// watched-account index, and the ledger-time schedule. Implemented on Redis (production) and in
/// memory (embedded demo); both pass the same contract tests.
/// </summary>
public interface IChannelStore
{
    Task PutSubscriptionAsync(Subscription subscription, CancellationToken ct);

    Task<Subscription?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken ct);

    /// <summary>
    /// Writes <paramref name="next"/> only if the stored subscription's <see cref="Subscription.LastCommandAt"/>
    /// is still <paramref name="expectedLastCommandAt"/> (-1: no subscription yet): operator commands
    /// racing on one subscription cannot both apply. Returns whether it was written.
    /// </summary>
    Task<bool> TryPutSubscriptionAsync(Subscription next, long expectedLastCommandAt, CancellationToken ct);

    /// <summary>
    /// Compare-and-set by round, quota included: a lower round is refused, the same round is
    /// idempotent (returns the stored receipt), a higher round replaces the record and its index
    /// entries, also when another subscription held the lower round (<see cref="StoreOutcome.TakenOver"/>:
    /// call only with a validated bundle). Returns only once the outcome is durable in the store.
    /// </summary>
    Task<StoreResult> StoreAsync(Subscription subscription, ChannelMetadata metadata, BundleReceipt receipt, ReadOnlyMemory<byte> sealedBundle, CancellationToken ct);

    Task<StoredChannel?> GetAsync(ChannelId channelId, CancellationToken ct);

    /// <summary>Frees every byte of the channel (record, index entries, schedule, quota) if its stored round is ≤ <paramref name="upToRound"/>.</summary>
    Task<ForgetOutcome> ForgetAsync(ChannelId channelId, ulong upToRound, CancellationToken ct);

    /// <summary>How many channels the store protects (all subscriptions).</summary>
    Task<long> CountChannelsAsync(CancellationToken ct);

    Task<ImmutableArray<ChannelId>> ChannelsWatchingAsync(AccountId account, CancellationToken ct);

    /// <summary>Sets (or moves) a follow-up for a channel at a ledger time.</summary>
    Task ScheduleFollowUpAsync(ChannelId channelId, ulong dueTime, CancellationToken ct);

    Task RemoveScheduledAsync(ChannelId channelId, ScheduleKind kind, CancellationToken ct);

    /// <summary>
    /// Removes the channel's follow-up only if it is due at or before <paramref name="answeredUpTo"/>
    /// (a responder answered it on that ledger); one moved later meanwhile is kept.
    /// </summary>
    Task CompleteFollowUpAsync(ChannelId channelId, ulong answeredUpTo, CancellationToken ct);

    /// <summary>Deadlines and follow-ups due at or before <paramref name="ledgerTime"/>, earliest first.</summary>
    Task<ImmutableArray<ScheduledItem>> DueAsync(ulong ledgerTime, int max, CancellationToken ct);

    /// <summary>The first <paramref name="max"/> pending deadlines, earliest first, due or not.</summary>
    Task<ImmutableArray<ScheduledItem>> EarliestDeadlinesAsync(int max, CancellationToken ct);

    /// <summary>The change-feed position now. Take it before <see cref="ScanWatchedIndexAsync"/>, then replay changes after it.</summary>
    Task<string> GetWatchedIndexCursorAsync(CancellationToken ct);

    /// <summary>Every index entry (account → channels) at some moment after the call starts.</summary>
    IAsyncEnumerable<(WatchedAccountKey Account, ImmutableArray<ChannelId> Channels)> ScanWatchedIndexAsync(CancellationToken ct);

    /// <summary>Index changes after <paramref name="cursor"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<WatchedIndexChanges> ReadWatchedIndexChangesAsync(string cursor, int max, CancellationToken ct);

    /// <summary>Whether the server behind the store persists every write (Redis: AOF on).</summary>
    Task<StorePersistence> GetPersistenceAsync(CancellationToken ct);

    /// <summary>The store's epoch (see <see cref="StoreEpoch"/>); null when none was written (new, wiped or replaced store).
    /// Also what a wallet-facing audit reply carries, so a wallet can tell a store that lost its bundles.</summary>
    Task<StoreEpoch?> GetEpochAsync(CancellationToken ct);

    /// <summary>Writes <paramref name="candidate"/> unless an epoch exists (atomically); returns the epoch stored afterwards.</summary>
    Task<StoreEpoch> InitializeEpochAsync(StoreEpoch candidate, CancellationToken ct);
}
