using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using StackExchange.Redis;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>
/// <see cref="IChannelStore"/> on Redis; the key layout is documented in docs/tower-layout.md.
/// Writes go through Lua scripts, each confined to one hash slot. An upload runs three of them in
/// an order that never loses protection if the process dies in between (index entries are added
/// after the record exists and are removed only by a forget that also removes the record).
/// With <c>minReplicas</c> &gt; 0 an upload returns only once that many replicas acknowledged its
/// writes (WAIT), else it throws <see cref="StoreReplicationException"/> and nothing is receipted.
/// </summary>
public sealed class RedisChannelStore : IChannelStore
{
    private const string CursorScript = """
        local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
        local id = '0-0'
        if #last > 0 then id = last[1][1] end
        return {id, redis.call('GET', KEYS[2]) or '0'}
        """;

    // KEYS[1] epoch hash. ARGV: id, created (Unix ms), replaced id or ''. Writes only into a store without one.
    private const string InitializeEpochScript = """
        if redis.call('EXISTS', KEYS[1]) == 0 then
          redis.call('HSET', KEYS[1], 'id', ARGV[1], 'created', ARGV[2], 'replaces', ARGV[3])
        end
        return redis.call('HMGET', KEYS[1], 'id', 'created', 'replaces')
        """;

    private readonly IDatabase _db;
    private readonly string _prefix;
    private readonly int _maxChanges;
    private readonly RedisKey _accounts;
    private readonly RedisKey _versions;
    private readonly RedisKey _deadlines;
    private readonly RedisKey _followUps;
    private readonly RedisKey _changes;
    private readonly RedisKey _changeCounter;
    private readonly RedisKey _epoch;
    private readonly int _minReplicas;
    private readonly long _closedChannelSeconds;
    private readonly TimeSpan _replicaTimeout;

    /// <param name="prefix">Key prefix (default "wt"); tests use a unique one per run.</param>
    /// <param name="maxChanges">Approximate length kept of the index change feed; a reader further behind reloads.</param>
    /// <param name="minReplicas">Replicas that must acknowledge an upload's writes before it returns (0: no WAIT).</param>
    /// <param name="replicaTimeout">Bound of that wait (default 1 s).</param>
    /// <param name="closedChannelMemory">How long a forgotten (settled or released) channel keeps refusing its old rounds (default 90 days).</param>
    public RedisChannelStore(IConnectionMultiplexer redis, string prefix = "wt", int maxChanges = 100_000, int minReplicas = 0, TimeSpan? replicaTimeout = null,
        TimeSpan? closedChannelMemory = null)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentOutOfRangeException.ThrowIfNegative(minReplicas);
        _db = redis.GetDatabase();
        _prefix = prefix;
        _maxChanges = maxChanges;
        _minReplicas = minReplicas;
        _replicaTimeout = replicaTimeout ?? TimeSpan.FromSeconds(1);
        _closedChannelSeconds = (long)Math.Ceiling((closedChannelMemory ?? TimeSpan.FromDays(90)).TotalSeconds);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_closedChannelSeconds, nameof(closedChannelMemory));
        _epoch = $"{prefix}:{{meta}}:epoch";
        _accounts = $"{prefix}:{{ix}}:acct";
        _versions = $"{prefix}:{{ix}}:ver";
        _deadlines = $"{prefix}:{{ix}}:deadline";
        _followUps = $"{prefix}:{{ix}}:followup";
        _changes = $"{prefix}:{{ix}}:changes";
        _changeCounter = $"{prefix}:{{ix}}:changeseq";
    }

    public RedisKey RecordKey(ChannelId id) => $"{_prefix}:{{ch:{id}}}";

    // Same hash slot as the record: the compare-and-set and the delete see it atomically.
    private RedisKey ClosedKey(ChannelId id) => $"{_prefix}:{{ch:{id}}}:closed";

    private RedisKey SubscriptionKey(Guid id) => $"{_prefix}:{{sub:{id:N}}}";

    private RedisKey UsageKey(Guid id) => $"{_prefix}:{{sub:{id:N}}}:usage";

    public async Task PutSubscriptionAsync(Subscription subscription, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        await _db.HashSetAsync(SubscriptionKey(subscription.Id),
        [
            new HashEntry("key", subscription.WalletKey.PublicKey.ToArray()),
            new HashEntry("maxch", subscription.MaxChannels),
            new HashEntry("maxb", subscription.MaxBytes),
            new HashEntry("exp", subscription.ExpiresAt.ToUnixTimeMilliseconds()),
            new HashEntry("cmd", subscription.LastCommandAt),
        ]).ConfigureAwait(false);
    }

    public async Task<bool> TryPutSubscriptionAsync(Subscription next, long expectedLastCommandAt, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(next);
        var written = await _db.ScriptEvaluateAsync(RedisScripts.PutSubscription, [SubscriptionKey(next.Id)],
        [
            expectedLastCommandAt, next.WalletKey.PublicKey.ToArray(), next.MaxChannels, next.MaxBytes,
            next.ExpiresAt.ToUnixTimeMilliseconds(), next.LastCommandAt,
        ]).ConfigureAwait(false);
        return (int)written == 1;
    }

    public async Task<Subscription?> GetSubscriptionAsync(Guid subscriptionId, CancellationToken ct)
    {
        var values = await _db.HashGetAsync(SubscriptionKey(subscriptionId), ["key", "maxch", "maxb", "exp", "cmd"]).ConfigureAwait(false);
        if (values[0].IsNull)
        {
            return null;
        }
        return new Subscription(subscriptionId, new AccountId((byte[])values[0]!), (int)values[1], (long)values[2],
            DateTimeOffset.FromUnixTimeMilliseconds((long)values[3]), values[4].IsNull ? 0 : (long)values[4]);
    }

    public async Task<StoreResult> StoreAsync(Subscription subscription, ChannelMetadata metadata, BundleReceipt receipt, ReadOnlyMemory<byte> sealedBundle, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        ArgumentNullException.ThrowIfNull(metadata);
        ArgumentNullException.ThrowIfNull(receipt);
        var channel = metadata.ChannelId.ToBytes();
        var record = ChannelRecordCodec.Encode(metadata, receipt, sealedBundle.Span);
        var usage = UsageKey(subscription.Id);

        // 1. Quota (subscription slot): reserve this channel's new size.
        var previous = (long)await _db.ScriptEvaluateAsync(RedisScripts.ReserveQuota, [usage],
            [channel, sealedBundle.Length, subscription.MaxChannels, subscription.MaxBytes]).ConfigureAwait(false);
        if (previous is -2 or -3)
        {
            return new StoreResult(StoreOutcome.QuotaExceeded, null, null);
        }

        // 2. Compare-and-set on the round (channel slot).
        var roundText = ChannelRecordCodec.RoundText(metadata.Round);
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisScripts.StoreRecord, [RecordKey(metadata.ChannelId), ClosedKey(metadata.ChannelId)],
            [roundText, record, metadata.SubscriptionId.ToByteArray(bigEndian: true)]).ConfigureAwait(false))!;
        var code = (int)result[0];
        if (code is 1 or 2 or 6)
        {
            // 3. Index and deadline (global slot), only once the record exists.
            await ReindexAsync(metadata).ConfigureAwait(false);
            await WaitForReplicasAsync().ConfigureAwait(false);
            if (code == 6)
            {
                // 4. A takeover: the old holder no longer pays for the channel (its own slot, so
                // a crash just before this leaves it overcharged, never the channel unprotected).
                var holder = new Guid((byte[])result[1]!, bigEndian: true);
                await _db.ScriptEvaluateAsync(RedisScripts.SetUsage, [UsageKey(holder)], [channel, -1]).ConfigureAwait(false);
                return new StoreResult(StoreOutcome.TakenOver, receipt, metadata.Round);
            }
            return new StoreResult(code == 1 ? StoreOutcome.Stored : StoreOutcome.Replaced, receipt, metadata.Round);
        }

        // Nothing changed: give the reservation back.
        await _db.ScriptEvaluateAsync(RedisScripts.SetUsage, [usage], [channel, previous]).ConfigureAwait(false);
        switch (code)
        {
            case 3:
                // A replay: the first attempt may have died between steps 2 and 3, so make sure
                // the index reflects what is stored (idempotent).
                if (await GetAsync(metadata.ChannelId, ct).ConfigureAwait(false) is { } stored)
                {
                    await ReindexAsync(stored.Metadata).ConfigureAwait(false);
                }
                // The first attempt may have failed its WAIT: a receipt for the replay needs the replicas too.
                await WaitForReplicasAsync().ConfigureAwait(false);
                return new StoreResult(StoreOutcome.Unchanged, BundleReceipt.FromBytes((byte[])result[1]!), metadata.Round);
            case 4:
                return new StoreResult(StoreOutcome.Stale, null, ulong.Parse((string)result[1]!, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
            default:
                return new StoreResult(StoreOutcome.Conflict, null, null);
        }
    }

    /// <summary>
    /// WAIT counts this connection's writes up to now, which include the upload's (the replay path
    /// writes the index again, after the record in the replication stream). The multiplexed
    /// connection is blocked meanwhile: at most <c>replicaTimeout</c>, only when replicas lag.
    /// </summary>
    private async Task WaitForReplicasAsync()
    {
        if (_minReplicas == 0)
        {
            return;
        }
        var acknowledged = (long)await _db.ExecuteAsync("WAIT", _minReplicas, (long)_replicaTimeout.TotalMilliseconds).ConfigureAwait(false);
        if (acknowledged < _minReplicas)
        {
            throw new StoreReplicationException(acknowledged, _minReplicas, _replicaTimeout);
        }
    }

    /// <summary>
    /// AOF on is durable; off (RDB snapshots at best) is not. CONFIG GET first; where CONFIG is
    /// renamed or forbidden (managed Redis, ACLs), INFO persistence reports the same switch; when
    /// both are refused the answer is Unknown, which the guard treats as not durable.
    /// </summary>
    public async Task<StorePersistence> GetPersistenceAsync(CancellationToken ct)
    {
        string configProblem;
        try
        {
            var reply = (RedisResult[])(await _db.ExecuteAsync("CONFIG", "GET", "appendonly").ConfigureAwait(false))!;
            if (reply.Length >= 2)
            {
                var on = string.Equals((string?)reply[1], "yes", StringComparison.OrdinalIgnoreCase);
                return new StorePersistence(on ? PersistenceKind.Persistent : PersistenceKind.NotPersistent, $"appendonly {(string?)reply[1]}");
            }
            configProblem = "CONFIG GET appendonly returned nothing";
        }
        catch (RedisServerException e)
        {
            configProblem = $"CONFIG GET refused ({e.Message})";
        }
        try
        {
            var info = (string?)await _db.ExecuteAsync("INFO", "persistence").ConfigureAwait(false) ?? "";
            var line = info.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("aof_enabled:", StringComparison.Ordinal));
            if (line is not null)
            {
                var on = line.EndsWith(":1", StringComparison.Ordinal);
                return new StorePersistence(on ? PersistenceKind.Persistent : PersistenceKind.NotPersistent, $"{configProblem}; INFO persistence: {line}");
            }
            return new StorePersistence(PersistenceKind.Unknown, $"{configProblem}; INFO persistence has no aof_enabled");
        }
        catch (RedisServerException e)
        {
            return new StorePersistence(PersistenceKind.Unknown, $"{configProblem}; INFO refused ({e.Message})");
        }
    }

    public async Task<StoreEpoch?> GetEpochAsync(CancellationToken ct)
    {
        var values = await _db.HashGetAsync(_epoch, ["id", "created", "replaces"]).ConfigureAwait(false);
        return values[0].IsNull ? null : ParseEpoch(values[0], values[1], values[2]);
    }

    public async Task<StoreEpoch> InitializeEpochAsync(StoreEpoch candidate, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        var values = (RedisValue[])(await _db.ScriptEvaluateAsync(InitializeEpochScript, [_epoch],
            [candidate.Id.ToString("N"), candidate.CreatedAt.ToUnixTimeMilliseconds(), candidate.Replaces?.ToString("N") ?? ""]).ConfigureAwait(false))!;
        await WaitForReplicasAsync().ConfigureAwait(false);
        return ParseEpoch(values[0], values[1], values[2]);
    }

    private static StoreEpoch ParseEpoch(RedisValue id, RedisValue created, RedisValue replaces) =>
        new(Guid.ParseExact((string)id!, "N"), DateTimeOffset.FromUnixTimeMilliseconds((long)created),
            replaces.IsNullOrEmpty ? null : Guid.ParseExact((string)replaces!, "N"));

    private Task ReindexAsync(ChannelMetadata metadata) =>
        _db.ScriptEvaluateAsync(RedisScripts.Reindex, [_accounts, _versions, _deadlines, _changes, _changeCounter],
        [
            metadata.ChannelId.ToBytes(), ChannelRecordCodec.RoundText(metadata.Round),
            ChannelRecordCodec.PackAccounts(metadata.WatchedAccounts), metadata.DeadlineTime, _maxChanges,
        ]);

    public async Task<StoredChannel?> GetAsync(ChannelId channelId, CancellationToken ct)
    {
        var value = await _db.StringGetAsync(RecordKey(channelId)).ConfigureAwait(false);
        return value.IsNull ? null : ChannelRecordCodec.Decode(channelId, (byte[])value!);
    }

    public async Task<ForgetOutcome> ForgetAsync(ChannelId channelId, ulong upToRound, CancellationToken ct)
    {
        var upTo = ChannelRecordCodec.RoundText(upToRound);
        var channel = channelId.ToBytes();
        var stored = await GetAsync(channelId, ct).ConfigureAwait(false);
        if (stored is not null && stored.Metadata.Round > upToRound)
        {
            return ForgetOutcome.NewerRoundKept;
        }
        // Index first: a crash after it leaves a record nobody is alerted for, which the retried
        // forget removes; the reverse order could leave index entries pointing at nothing forever.
        await _db.ScriptEvaluateAsync(RedisScripts.Unindex, [_accounts, _versions, _deadlines, _followUps, _changes, _changeCounter],
            [channel, upTo, _maxChanges]).ConfigureAwait(false);
        if (stored is null)
        {
            return ForgetOutcome.NotFound;
        }
        await _db.ScriptEvaluateAsync(RedisScripts.SetUsage, [UsageKey(stored.Metadata.SubscriptionId)], [channel, -1]).ConfigureAwait(false);
        var deleted = (int)await _db.ScriptEvaluateAsync(RedisScripts.DeleteRecord, [RecordKey(channelId), ClosedKey(channelId)], [upTo, _closedChannelSeconds]).ConfigureAwait(false);
        return deleted switch
        {
            1 => ForgetOutcome.Forgotten,
            -1 => ForgetOutcome.NewerRoundKept,
            _ => ForgetOutcome.NotFound,
        };
    }

    // One entry per indexed channel in the global slot: O(1), no scan.
    public Task<long> CountChannelsAsync(CancellationToken ct) => _db.HashLengthAsync(_versions);

    public async Task<ImmutableArray<ChannelId>> ChannelsWatchingAsync(AccountId account, CancellationToken ct)
    {
        var value = await _db.HashGetAsync(_accounts, account.PublicKey.ToArray()).ConfigureAwait(false);
        return value.IsNull ? [] : SplitChannels((byte[])value!);
    }

    public Task ScheduleFollowUpAsync(ChannelId channelId, ulong dueTime, CancellationToken ct) =>
        _db.SortedSetAddAsync(_followUps, channelId.ToBytes(), dueTime);

    // Compare and remove in one step: a responder moving the follow-up later meanwhile keeps it.
    private const string CompleteFollowUpScript = """
        local due = redis.call('ZSCORE', KEYS[1], ARGV[1])
        if due and tonumber(due) <= tonumber(ARGV[2]) then
          return redis.call('ZREM', KEYS[1], ARGV[1])
        end
        return 0
        """;

    public Task CompleteFollowUpAsync(ChannelId channelId, ulong answeredUpTo, CancellationToken ct) =>
        _db.ScriptEvaluateAsync(CompleteFollowUpScript, [_followUps], [channelId.ToBytes(), answeredUpTo]);

    public Task RemoveScheduledAsync(ChannelId channelId, ScheduleKind kind, CancellationToken ct) =>
        _db.SortedSetRemoveAsync(kind == ScheduleKind.Deadline ? _deadlines : _followUps, channelId.ToBytes());

    public async Task<ImmutableArray<ScheduledItem>> DueAsync(ulong ledgerTime, int max, CancellationToken ct)
    {
        var deadlines = _db.SortedSetRangeByScoreWithScoresAsync(_deadlines, double.NegativeInfinity, ledgerTime, take: max);
        var followUps = _db.SortedSetRangeByScoreWithScoresAsync(_followUps, double.NegativeInfinity, ledgerTime, take: max);
        var items = (await deadlines.ConfigureAwait(false)).Select(e => new ScheduledItem(ChannelId.FromBytes((byte[])e.Element!), ScheduleKind.Deadline, (ulong)e.Score))
            .Concat((await followUps.ConfigureAwait(false)).Select(e => new ScheduledItem(ChannelId.FromBytes((byte[])e.Element!), ScheduleKind.FollowUp, (ulong)e.Score)));
        return [.. items.OrderBy(i => i.DueTime).Take(max)];
    }

    public async Task<ImmutableArray<ScheduledItem>> EarliestDeadlinesAsync(int max, CancellationToken ct) =>
    [
        .. (await _db.SortedSetRangeByRankWithScoresAsync(_deadlines, 0, max - 1).ConfigureAwait(false))
            .Select(e => new ScheduledItem(ChannelId.FromBytes((byte[])e.Element!), ScheduleKind.Deadline, (ulong)e.Score)),
    ];

    public async Task<string> GetWatchedIndexCursorAsync(CancellationToken ct)
    {
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(CursorScript, [_changes, _changeCounter]).ConfigureAwait(false))!;
        return $"{(string)result[0]!}|{(string)result[1]!}";
    }

    public async IAsyncEnumerable<(WatchedAccountKey Account, ImmutableArray<ChannelId> Channels)> ScanWatchedIndexAsync([EnumeratorCancellation] CancellationToken ct)
    {
        await foreach (var entry in _db.HashScanAsync(_accounts, pageSize: 1000).WithCancellation(ct).ConfigureAwait(false))
        {
            yield return (WatchedAccountKey.FromBytes((byte[])entry.Name!), SplitChannels((byte[])entry.Value!));
        }
    }

    public async Task<WatchedIndexChanges> ReadWatchedIndexChangesAsync(string cursor, int max, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(cursor);
        var (lastId, lastNumber) = ParseCursor(cursor);
        var result = (RedisResult[])(await _db.ScriptEvaluateAsync(RedisScripts.ReadChanges, [_changes, _changeCounter], [lastId, max]).ConfigureAwait(false))!;
        var counter = long.Parse((string)result[0]!, CultureInfo.InvariantCulture);
        if (counter < lastNumber)
        {
            // The counter went back: the store was wiped or replaced since the cursor was taken.
            return new WatchedIndexChanges([], cursor, Gap: true);
        }
        var entries = (RedisResult[])result[1]!;
        var changes = ImmutableArray.CreateBuilder<WatchedIndexChange>(entries.Length);
        var expected = lastNumber + 1;
        foreach (var entry in entries)
        {
            var parts = (RedisResult[])entry!;
            var id = (string)parts[0]!;
            var fields = (RedisResult[])parts[1]!;
            long number = 0;
            ChannelId channel = default;
            ImmutableArray<WatchedAccountKey> added = [], removed = [];
            for (var i = 0; i + 1 < fields.Length; i += 2)
            {
                switch ((string)fields[i]!)
                {
                    case "n": number = long.Parse((string)fields[i + 1]!, CultureInfo.InvariantCulture); break;
                    case "c": channel = ChannelId.FromBytes((byte[])fields[i + 1]!); break;
                    case "a": added = SplitAccounts((byte[])fields[i + 1]!); break;
                    case "r": removed = SplitAccounts((byte[])fields[i + 1]!); break;
                }
            }
            if (number != expected)
            {
                return new WatchedIndexChanges([], cursor, Gap: true);
            }
            expected++;
            changes.Add(new WatchedIndexChange(channel, added, removed));
            lastId = id;
            lastNumber = number;
        }
        var gap = changes.Count == 0 && counter > lastNumber;
        return new WatchedIndexChanges(changes.ToImmutable(), $"{lastId}|{lastNumber}", gap);
    }

    private static (string Id, long Number) ParseCursor(string cursor)
    {
        var bar = cursor.IndexOf('|', StringComparison.Ordinal);
        return bar < 0 || !long.TryParse(cursor.AsSpan(bar + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? throw new FormatException($"not an index cursor: '{cursor}'")
            : (cursor[..bar], n);
    }

    private static ImmutableArray<ChannelId> SplitChannels(byte[] packed)
    {
        var ids = ImmutableArray.CreateBuilder<ChannelId>(packed.Length / ChannelId.Size);
        for (var i = 0; i + ChannelId.Size <= packed.Length; i += ChannelId.Size)
        {
            ids.Add(ChannelId.FromBytes(packed.AsSpan(i, ChannelId.Size)));
        }
        return ids.MoveToImmutable();
    }

    private static ImmutableArray<WatchedAccountKey> SplitAccounts(byte[] packed)
    {
        var keys = ImmutableArray.CreateBuilder<WatchedAccountKey>(packed.Length / 32);
        for (var i = 0; i + 32 <= packed.Length; i += 32)
        {
            keys.Add(WatchedAccountKey.FromBytes(packed.AsSpan(i, 32)));
        }
        return keys.MoveToImmutable();
    }
}
