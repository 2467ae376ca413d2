using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>
/// <see cref="IChannelStore"/> in process memory: the embedded default of the one-command demo.
/// Same semantics as the Redis store (one lock makes every operation atomic); nothing survives a restart.
/// </summary>
public sealed class InMemoryChannelStore : IChannelStore
{
    private readonly Lock _gate = new();
    private readonly int _maxChanges;
    private readonly Dictionary<Guid, Subscription> _subscriptions = [];
    private readonly Dictionary<Guid, Dictionary<ChannelId, long>> _usage = [];
    private readonly Dictionary<ChannelId, StoredChannel> _channels = [];
    private readonly Dictionary<WatchedAccountKey, ImmutableArray<ChannelId>> _accounts = [];
    private readonly Dictionary<ChannelId, ulong> _deadlines = [];
    private readonly Dictionary<ChannelId, ulong> _followUps = [];
    // Round each forgotten channel was closed at: its old rounds are never taken again (the demo's store lives as long as its process).
    private readonly Dictionary<ChannelId, ulong> _closed = [];
    private readonly List<(long Number, WatchedIndexChange Change)> _changes = [];
    private long _changeCounter;
    private StoreEpoch? _epoch;

    public InMemoryChannelStore(int maxChanges = 100_000) => _maxChanges = maxChanges;

    public Task PutSubscriptionAsync(Subscription subscription, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        lock (_gate)
        {
            _subscriptions[subscription.Id] = subscription;
        }
        return Task.CompletedTask;
    }

    public Task<Subscription?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_subscriptions.GetValueOrDefault(subscriptionId));
        }
    }

    public Task<bool> TryPutSubscriptionAsync(Subscription next, long expectedLastCommandAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            var current = _subscriptions.TryGetValue(next.Id, out var s) ? s.LastCommandAt : -1;
            if (current != expectedLastCommandAt)
            {
                return Task.FromResult(false);
            }
            _subscriptions[next.Id] = next;
            return Task.FromResult(true);
        }
    }

    public Task<StoreResult> StoreAsync(Subscription subscription, ChannelMetadata metadata, BundleReceipt receipt, ReadOnlyMemory<byte> sealedBundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(metadata);
        lock (_gate)
        {
            var id = metadata.ChannelId;
            if (_closed.TryGetValue(id, out var closedAt) && metadata.Round <= closedAt)
            {
                return Task.FromResult(new StoreResult(StoreOutcome.Stale, null, closedAt));
            }
            // Quota first, as the Redis store does (it must reserve before its compare-and-set).
            var usage = _usage.GetValueOrDefault(subscription.Id) ?? [];
            var others = usage.Where(e => e.Key != id).ToList();
            var isNew = !usage.ContainsKey(id);
            if ((isNew && others.Count + 1 > subscription.MaxChannels) || others.Sum(e => e.Value) + sealedBundle.Length > subscription.MaxBytes)
            {
                return Task.FromResult(new StoreResult(StoreOutcome.QuotaExceeded, null, null));
            }
            var takenFrom = (Guid?)null;
            if (_channels.TryGetValue(id, out var current))
            {
                if (current.Metadata.SubscriptionId != metadata.SubscriptionId)
                {
                    if (current.Metadata.Round >= metadata.Round)
                    {
                        return Task.FromResult(new StoreResult(StoreOutcome.Conflict, null, null));
                    }
                    takenFrom = current.Metadata.SubscriptionId;
                }
                if (current.Metadata.Round > metadata.Round)
                {
                    return Task.FromResult(new StoreResult(StoreOutcome.Stale, null, current.Metadata.Round));
                }
                if (current.Metadata.Round == metadata.Round)
                {
                    return Task.FromResult(new StoreResult(StoreOutcome.Unchanged, current.Receipt, current.Metadata.Round));
                }
            }
            usage[id] = sealedBundle.Length;
            _usage[subscription.Id] = usage;
            if (takenFrom is { } holder && _usage.TryGetValue(holder, out var held))
            {
                held.Remove(id);
                if (held.Count == 0)
                {
                    _usage.Remove(holder);
                }
            }
            _channels[id] = new StoredChannel(metadata, receipt, sealedBundle.ToArray());
            var oldAccounts = current?.Metadata.WatchedAccounts.Select(WatchedAccountKey.Of).ToImmutableArray() ?? [];
            var newAccounts = metadata.WatchedAccounts.Select(WatchedAccountKey.Of).ToImmutableArray();
            var removed = oldAccounts.Except(newAccounts).ToImmutableArray();
            var added = newAccounts.Except(oldAccounts).ToImmutableArray();
            foreach (var account in removed)
            {
                Unwatch(account, id);
            }
            foreach (var account in newAccounts)
            {
                Watch(account, id);
            }
            _deadlines[id] = metadata.DeadlineTime;
            if (added.Length > 0 || removed.Length > 0)
            {
                Log(new WatchedIndexChange(id, added, removed));
            }
            var outcome = current is null ? StoreOutcome.Stored : takenFrom is null ? StoreOutcome.Replaced : StoreOutcome.TakenOver;
            return Task.FromResult(new StoreResult(outcome, receipt, metadata.Round));
        }
    }

    public Task<StoredChannel?> GetAsync(ChannelId channelId, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_channels.GetValueOrDefault(channelId));
        }
    }

    public Task<ForgetOutcome> ForgetAsync(ChannelId channelId, ulong upToRound, CancellationToken ct)
    {
        lock (_gate)
        {
            if (!_channels.TryGetValue(channelId, out var current))
            {
                return Task.FromResult(ForgetOutcome.NotFound);
            }
            if (current.Metadata.Round > upToRound)
            {
                return Task.FromResult(ForgetOutcome.NewerRoundKept);
            }
            var accounts = current.Metadata.WatchedAccounts.Select(WatchedAccountKey.Of).ToImmutableArray();
            foreach (var account in accounts)
            {
                Unwatch(account, channelId);
            }
            _channels.Remove(channelId);
            _closed[channelId] = current.Metadata.Round;
            _deadlines.Remove(channelId);
            _followUps.Remove(channelId);
            if (_usage.TryGetValue(current.Metadata.SubscriptionId, out var usage))
            {
                usage.Remove(channelId);
                if (usage.Count == 0)
                {
                    _usage.Remove(current.Metadata.SubscriptionId);
                }
            }
            Log(new WatchedIndexChange(channelId, [], accounts));
            return Task.FromResult(ForgetOutcome.Forgotten);
        }
    }

    public Task<long> CountChannelsAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult((long)_channels.Count);
        }
    }

    public Task<ImmutableArray<ChannelId>> ChannelsWatchingAsync(AccountId account, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_accounts.GetValueOrDefault(WatchedAccountKey.Of(account), []));
        }
    }

    public Task ScheduleFollowUpAsync(ChannelId channelId, ulong dueTime, CancellationToken ct)
    {
        lock (_gate)
        {
            _followUps[channelId] = dueTime;
        }
        return Task.CompletedTask;
    }

    public Task CompleteFollowUpAsync(ChannelId channelId, ulong answeredUpTo, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_followUps.TryGetValue(channelId, out var due) && due <= answeredUpTo)
            {
                _followUps.Remove(channelId);
            }
        }
        return Task.CompletedTask;
    }

    public Task RemoveScheduledAsync(ChannelId channelId, ScheduleKind kind, CancellationToken ct)
    {
        lock (_gate)
        {
            (kind == ScheduleKind.Deadline ? _deadlines : _followUps).Remove(channelId);
        }
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<ScheduledItem>> DueAsync(ulong ledgerTime, int max, CancellationToken ct)
    {
        lock (_gate)
        {
            var due = _deadlines.Where(e => e.Value <= ledgerTime).Select(e => new ScheduledItem(e.Key, ScheduleKind.Deadline, e.Value))
                .Concat(_followUps.Where(e => e.Value <= ledgerTime).Select(e => new ScheduledItem(e.Key, ScheduleKind.FollowUp, e.Value)));
            return Task.FromResult(due.OrderBy(i => i.DueTime).Take(max).ToImmutableArray());
        }
    }

    public Task<ImmutableArray<ScheduledItem>> EarliestDeadlinesAsync(int max, CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_deadlines.OrderBy(e => e.Value).Take(max)
                .Select(e => new ScheduledItem(e.Key, ScheduleKind.Deadline, e.Value)).ToImmutableArray());
        }
    }

    public Task<string> GetWatchedIndexCursorAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_changeCounter.ToString(CultureInfo.InvariantCulture));
        }
    }

    public async IAsyncEnumerable<(WatchedAccountKey Account, ImmutableArray<ChannelId> Channels)> ScanWatchedIndexAsync([EnumeratorCancellation] CancellationToken ct)
    {
        List<KeyValuePair<WatchedAccountKey, ImmutableArray<ChannelId>>> copy;
        lock (_gate)
        {
            copy = [.. _accounts];
        }
        foreach (var entry in copy)
        {
            ct.ThrowIfCancellationRequested();
            yield return (entry.Key, entry.Value);
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<WatchedIndexChanges> ReadWatchedIndexChangesAsync(string cursor, int max, CancellationToken ct)
    {
        var after = long.Parse(cursor, NumberStyles.None, CultureInfo.InvariantCulture);
        lock (_gate)
        {
            var first = _changes.Count > 0 ? _changes[0].Number : _changeCounter + 1;
            if (after < _changeCounter && first > after + 1)
            {
                return Task.FromResult(new WatchedIndexChanges([], cursor, Gap: true));
            }
            var page = _changes.Where(c => c.Number > after).Take(max).ToList();
            var last = page.Count > 0 ? page[^1].Number : after;
            return Task.FromResult(new WatchedIndexChanges([.. page.Select(c => c.Change)], last.ToString(CultureInfo.InvariantCulture), false));
        }
    }

    private void Watch(WatchedAccountKey account, ChannelId channel)
    {
        var current = _accounts.GetValueOrDefault(account, []);
        if (!current.Contains(channel))
        {
            _accounts[account] = current.Add(channel);
        }
    }

    private void Unwatch(WatchedAccountKey account, ChannelId channel)
    {
        if (_accounts.TryGetValue(account, out var current))
        {
            var rest = current.Remove(channel);
            if (rest.IsEmpty)
            {
                _accounts.Remove(account);
            }
            else
            {
                _accounts[account] = rest;
            }
        }
    }

    private void Log(WatchedIndexChange change)
    {
        _changes.Add((++_changeCounter, change));
        if (_changes.Count > _maxChanges)
        {
            _changes.RemoveRange(0, _changes.Count - _maxChanges);
        }
    }

    public Task<StorePersistence> GetPersistenceAsync(CancellationToken ct) =>
        Task.FromResult(new StorePersistence(PersistenceKind.InMemory, "in-memory store (Tower:Embedded): nothing survives a restart"));

    public Task<StoreEpoch?> GetEpochAsync(CancellationToken ct)
    {
        lock (_gate)
        {
            return Task.FromResult(_epoch);
        }
    }

    public Task<StoreEpoch> InitializeEpochAsync(StoreEpoch candidate, CancellationToken ct)
    {
        lock (_gate)
        {
            _epoch ??= candidate;
            return Task.FromResult(_epoch);
        }
    }
}
