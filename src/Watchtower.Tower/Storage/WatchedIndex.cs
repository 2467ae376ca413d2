using System.Collections.Concurrent;
using System.Collections.Immutable;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>
/// The tailer's in-process view of "which channels watch this account". Lookups are lock-free
/// dictionary reads (a 10,000-transaction ledger needs a few tens of thousands of them).
/// </summary>
public interface IWatchedIndex
{
    /// <summary>The channels watching <paramref name="account"/>; empty when none.</summary>
    ImmutableArray<ChannelId> ChannelsFor(AccountId account);

    bool IsWatched(AccountId account);

    /// <summary>Number of distinct watched accounts.</summary>
    int AccountCount { get; }
}

/// <summary>Thread-safe <see cref="IWatchedIndex"/>; written only by <see cref="WatchedIndexSync"/>.</summary>
public sealed class WatchedIndex : IWatchedIndex
{
    // A one-hash bit filter over the watched keys (≥ 16 bits per key, ≤ ~6% false positives): almost
    // every account in a ledger is unwatched, and the filter says so from a few megabytes instead of
    // a walk into the dictionary's scattered nodes. Bits are never cleared in place; the filter is
    // rebuilt as the index grows or after many removals.
    private const int MinFilterWords = 1024;
    private const int BitsPerKey = 16;

    private readonly ConcurrentDictionary<WatchedAccountKey, ImmutableArray<ChannelId>> _entries = new();
    private readonly Lock _writeGate = new();
    private ulong[] _filter = new ulong[MinFilterWords];
    private int _removedSinceRebuild;
    // Kept by hand: ConcurrentDictionary.Count takes every lock, far too slow to ask on each write.
    private int _count;

    public int AccountCount => Volatile.Read(ref _count);

    public ImmutableArray<ChannelId> ChannelsFor(AccountId account)
    {
        var key = WatchedAccountKey.Of(account);
        return MayContain(Volatile.Read(ref _filter), key) && _entries.TryGetValue(key, out var channels) ? channels : [];
    }

    public bool IsWatched(AccountId account)
    {
        var key = WatchedAccountKey.Of(account);
        return MayContain(Volatile.Read(ref _filter), key) && _entries.ContainsKey(key);
    }

    internal void Set(WatchedAccountKey account, ImmutableArray<ChannelId> channels)
    {
        lock (_writeGate)
        {
            if (channels.IsEmpty)
            {
                Remove(account);
            }
            else
            {
                Put(account, channels);
            }
            RebuildFilterIfNeeded();
        }
    }

    internal void Apply(WatchedIndexChange change)
    {
        lock (_writeGate)
        {
            foreach (var account in change.Removed)
            {
                if (_entries.TryGetValue(account, out var current))
                {
                    var rest = current.Remove(change.ChannelId);
                    if (rest.IsEmpty)
                    {
                        Remove(account);
                    }
                    else
                    {
                        _entries[account] = rest;
                    }
                }
            }
            foreach (var account in change.Added)
            {
                var current = _entries.GetValueOrDefault(account, []);
                if (!current.Contains(change.ChannelId))
                {
                    Put(account, current.Add(change.ChannelId));
                }
            }
            RebuildFilterIfNeeded();
        }
    }

    internal void Clear()
    {
        lock (_writeGate)
        {
            _entries.Clear();
            Volatile.Write(ref _count, 0);
            Volatile.Write(ref _filter, new ulong[MinFilterWords]);
            _removedSinceRebuild = 0;
        }
    }

    // The filter bit is set before the entry appears, so a reader never sees an entry its filter hides.
    private void Put(WatchedAccountKey account, ImmutableArray<ChannelId> channels)
    {
        Mark(_filter, account);
        var added = false;
        _entries.AddOrUpdate(account, _ =>
        {
            added = true;
            return channels;
        }, (_, _) => channels);
        if (added)
        {
            Volatile.Write(ref _count, _count + 1);
        }
    }

    private void Remove(WatchedAccountKey account)
    {
        if (_entries.TryRemove(account, out _))
        {
            _removedSinceRebuild++;
            Volatile.Write(ref _count, _count - 1);
        }
    }

    private void RebuildFilterIfNeeded()
    {
        var bits = (long)_filter.Length * 64;
        var count = _count;
        var tooSmall = (long)count * BitsPerKey > bits;
        var tooStale = _removedSinceRebuild > Math.Max(count, MinFilterWords);
        if (!tooSmall && !tooStale)
        {
            return;
        }
        var words = MinFilterWords;
        while ((long)words * 64 < (long)count * BitsPerKey * 2)
        {
            words *= 2;
        }
        var filter = new ulong[words];
        foreach (var key in _entries.Keys)
        {
            Mark(filter, key);
        }
        Volatile.Write(ref _filter, filter);
        _removedSinceRebuild = 0;
    }

    // The dictionary hashes word A; the filter uses word B, an independent part of the key.
    private static bool MayContain(ulong[] filter, in WatchedAccountKey key)
    {
        var bit = key.B & (((ulong)filter.Length << 6) - 1);
        return (filter[bit >> 6] & (1UL << (int)(bit & 63))) != 0;
    }

    private static void Mark(ulong[] filter, in WatchedAccountKey key)
    {
        var bit = key.B & (((ulong)filter.Length << 6) - 1);
        Interlocked.Or(ref filter[bit >> 6], 1UL << (int)(bit & 63));
    }
}

/// <summary>
/// Keeps a <see cref="WatchedIndex"/> in step with the store: a full load (cursor taken first,
/// then a scan), then the change feed after that cursor. Replaying changes that the scan already
/// saw is harmless: each change sets membership, so the last one for a pair wins. When the feed was
/// trimmed past the cursor (the reader fell too far behind) it reloads.
/// </summary>
public sealed class WatchedIndexSync
{
    private readonly IChannelStore _store;
    private readonly WatchedIndex _index;
    private readonly TimeProvider _time;
    private string? _cursor;

    public WatchedIndexSync(IChannelStore store, WatchedIndex index, TimeProvider time)
    {
        _store = store;
        _index = index;
        _time = time;
    }

    public IWatchedIndex Index => _index;

    /// <summary>Number of full loads so far (1 after start; more means the feed was outrun).</summary>
    public int Loads { get; private set; }

    public async Task LoadAsync(CancellationToken ct)
    {
        var cursor = await _store.GetWatchedIndexCursorAsync(ct).ConfigureAwait(false);
        _index.Clear();
        await foreach (var (account, channels) in _store.ScanWatchedIndexAsync(ct).ConfigureAwait(false))
        {
            _index.Set(account, channels);
        }
        _cursor = cursor;
        Loads++;
        await CatchUpAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Applies every change recorded since the last call; returns how many.</summary>
    public async Task<int> CatchUpAsync(CancellationToken ct)
    {
        if (_cursor is null)
        {
            await LoadAsync(ct).ConfigureAwait(false);
            return 0;
        }
        var applied = 0;
        while (true)
        {
            var page = await _store.ReadWatchedIndexChangesAsync(_cursor, 1000, ct).ConfigureAwait(false);
            if (page.Gap)
            {
                _cursor = null;
                await LoadAsync(ct).ConfigureAwait(false);
                return applied;
            }
            foreach (var change in page.Changes)
            {
                _index.Apply(change);
            }
            applied += page.Changes.Length;
            _cursor = page.Cursor;
            if (page.Changes.Length < 1000)
            {
                return applied;
            }
        }
    }

    /// <summary>Loads, then follows the feed every <paramref name="interval"/> (on the injected clock) until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken ct)
    {
        await LoadAsync(ct).ConfigureAwait(false);
        using var timer = new PeriodicTimer(interval, _time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            await CatchUpAsync(ct).ConfigureAwait(false);
        }
    }
}
