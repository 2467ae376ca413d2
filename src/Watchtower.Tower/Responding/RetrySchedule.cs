using System.Collections.Concurrent;
using System.Collections.Immutable;
using Watchtower.Contracts;

namespace Watchtower.Tower.Responding;

/// <summary>
/// The channels this responder failed to complete, each with its failures in a row and the ledger
/// time of the first: the count spaces the re-scheduled follow-ups (capped backoff), the first
/// failure tells how long the channel has gone unanswered (overdue work). In-process on purpose:
/// the follow-up itself is durable (in the store); losing the count on a restart only retries
/// sooner, and an entry another replica completed meanwhile expires (<see cref="Failing"/>).
/// </summary>
public sealed class RetrySchedule(TimeProvider time)
{
    /// <summary>Above this many channels failing at once, the entries are dropped (they only restart their backoff).</summary>
    public const int MaxTracked = 100_000;

    private readonly ConcurrentDictionary<ChannelId, Entry> _entries = new();

    private sealed record Entry(int Failures, ulong FirstFailedAt, DateTimeOffset LastFailedAt);

    /// <summary>Records one more failure of the channel at ledger time <paramref name="ledgerTime"/>; returns the failures in a row (1 for the first).</summary>
    public int Failed(ChannelId channel, ulong ledgerTime)
    {
        if (_entries.Count >= MaxTracked)
        {
            _entries.Clear();
        }
        var now = time.GetUtcNow();
        return _entries.AddOrUpdate(channel, _ => new Entry(1, ledgerTime, now),
            (_, e) => new Entry(e.Failures + 1, Math.Min(e.FirstFailedAt, ledgerTime), now)).Failures;
    }

    public void Completed(ChannelId channel) => _entries.TryRemove(channel, out _);

    public int FailuresOf(ChannelId channel) => _entries.TryGetValue(channel, out var e) ? e.Failures : 0;

    /// <summary>
    /// Channels still failing, with the ledger time of their first failure, earliest first. An
    /// entry with no failure for <paramref name="expiry"/> (wall clock) is dropped: its follow-up
    /// was answered elsewhere, or it is no longer triggered, which the schedule's overdue check sees.
    /// </summary>
    public ImmutableArray<(ChannelId Channel, ulong FirstFailedAt)> Failing(TimeSpan expiry)
    {
        var now = time.GetUtcNow();
        foreach (var (channel, e) in _entries)
        {
            if (now - e.LastFailedAt > expiry)
            {
                _entries.TryRemove(KeyValuePair.Create(channel, e));
            }
        }
        return [.. _entries.Select(kv => (kv.Key, kv.Value.FirstFailedAt)).OrderBy(x => x.FirstFailedAt)];
    }

    /// <summary>
    /// Ledger seconds between a failed attempt and the next: the first retry on the next ledger
    /// (0), then <paramref name="initial"/> doubling up to <paramref name="max"/>. Pure.
    /// </summary>
    public static ulong DelaySeconds(int failures, TimeSpan initial, TimeSpan max)
    {
        if (failures <= 1)
        {
            return 0;
        }
        var seconds = initial.TotalSeconds * Math.Pow(2, Math.Min(failures - 2, 30));
        return (ulong)Math.Max(0, Math.Min(seconds, max.TotalSeconds));
    }
}
