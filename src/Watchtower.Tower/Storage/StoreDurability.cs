using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;

namespace Watchtower.Tower.Storage;

/// <summary>Store durability settings (configuration section "Tower:Store").</summary>
public sealed class StoreOptions
{
    /// <summary>Accept a Redis that does not persist (appendonly no, or unknown): tests and demos only, a receipt then promises nothing.</summary>
    public bool AllowNonDurable { get; set; }

    /// <summary>Replicas that must acknowledge a bundle's writes (Redis WAIT) before it is receipted; 0 = none.</summary>
    [Range(0, 16)]
    public int MinReplicas { get; set; }

    /// <summary>How long an upload waits for <see cref="MinReplicas"/> acknowledgements before it is refused (and retried).</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan ReplicaTimeout { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often every process re-reads the store epoch and persistence (besides every Redis reconnect).</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "01:00:00")]
    public TimeSpan EpochCheckInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After an epoch loss: how long the tower stays not ready (and re-triggers every re-uploaded channel) while wallets re-upload.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "7.00:00:00")]
    public TimeSpan RecoveryWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a settled or forgotten channel keeps refusing its old rounds (a replayed old bundle is never receipted and watched again).</summary>
    [Range(typeof(TimeSpan), "1.00:00:00", "3650.00:00:00")]
    public TimeSpan ClosedChannelMemory { get; set; } = TimeSpan.FromDays(90);
}

/// <summary>
/// The identity of one store's lifetime: written once into an empty store, so a store that was
/// wiped (a restart without persistence, a FLUSHALL) or swapped for another shows a missing or
/// different epoch to every process that joined the old one.
/// </summary>
/// <param name="Replaces">The epoch this one was created to replace after a loss; null for a first initialisation.</param>
public sealed record StoreEpoch(Guid Id, DateTimeOffset CreatedAt, Guid? Replaces)
{
    public static StoreEpoch New(TimeProvider time, Guid? replaces = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        return new(new Guid(RandomNumberGenerator.GetBytes(16)), DateTimeOffset.FromUnixTimeMilliseconds(time.GetUtcNow().ToUnixTimeMilliseconds()), replaces);
    }

    public override string ToString() => $"{Id:N} (created {CreatedAt:O})";
}

public enum PersistenceKind
{
    /// <summary>Every write goes to the append-only file.</summary>
    Persistent,
    /// <summary>The server keeps writes in memory only (or in periodic snapshots, which lose the last minutes).</summary>
    NotPersistent,
    /// <summary>The server would not say (CONFIG and INFO refused).</summary>
    Unknown,
    /// <summary>The embedded in-process store: nothing survives the process, by design.</summary>
    InMemory,
}

/// <param name="Detail">What was read, for the readiness line and the log.</param>
public sealed record StorePersistence(PersistenceKind Kind, string Detail);

/// <summary>
/// Fewer replicas than <see cref="StoreOptions.MinReplicas"/> acknowledged a bundle's writes in
/// time: the bundle may be on the primary only, so it is not receipted. An infrastructure failure
/// the transport retries (the retry finds the same round stored and waits again).
/// </summary>
public sealed class StoreReplicationException : Exception
{
    public StoreReplicationException() : base("too few replicas acknowledged the write") { }

    public StoreReplicationException(string message) : base(message) { }

    public StoreReplicationException(string message, Exception inner) : base(message, inner) { }

    public StoreReplicationException(long acknowledged, int required, TimeSpan timeout)
        : base($"{acknowledged} of {required} required replicas acknowledged the write within {timeout.TotalMilliseconds:0} ms") { }
}

/// <summary>The store does not persist and is not allowed to run that way: nothing is receipted (the transport retries).</summary>
public sealed class StoreNotDurableException : Exception
{
    public StoreNotDurableException() : base("the store does not persist") { }

    public StoreNotDurableException(string message) : base(message) { }

    public StoreNotDurableException(string message, Exception inner) : base(message, inner) { }
}
