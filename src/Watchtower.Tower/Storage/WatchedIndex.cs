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
    private readonly ConcurrentDictionary<WatchedAccountKey, ImmutableArray<ChannelId>> _entries = new();
    private readonly Lock _writeGate = new();

    public int AccountCount => _entries.Count;

    public ImmutableArray<ChannelId> ChannelsFor(AccountId account) =>
        _entries.TryGetValue(WatchedAccountKey.Of(account), out var channels) ? channels : [];

    public bool IsWatched(AccountId account) => _entries.ContainsKey(WatchedAccountKey.Of(account));

    internal void Set(WatchedAccountKey account, ImmutableArray<ChannelId> channels)
    {
        lock (_writeGate)
        {
            if (channels.IsEmpty)
            {
                _entries.TryRemove(account, out _);
            }
            else
            {
                _entries[account] = channels;
            }
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
                        _entries.TryRemove(account, out _);
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
                    _entries[account] = current.Add(change.ChannelId);
                }
            }
        }
    }

    internal void Clear()
    {
        lock (_writeGate)
        {
            _entries.Clear();
        }
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
