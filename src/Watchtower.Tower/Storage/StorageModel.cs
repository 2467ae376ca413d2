using System.Buffers.Binary;
using System.Collections.Immutable;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Tower.Storage;

/// <summary>A wallet's paid-for right to upload: who signs, how much it may store, until when.</summary>
/// <param name="LastCommandAt">IssuedAt (Unix ms) of the last operator command applied; a command must be later (replay guard).</param>
public sealed record Subscription(Guid Id, AccountId WalletKey, int MaxChannels, long MaxBytes, DateTimeOffset ExpiresAt, long LastCommandAt = 0)
{
    public bool IsExpiredAt(DateTimeOffset now) => now >= ExpiresAt;
}

/// <summary>
/// The plaintext the tower keeps next to the ciphertext: exactly what detection and scheduling
/// need without decrypting (see docs/tower-layout.md for why each field is in clear).
/// </summary>
public sealed record ChannelMetadata(
    ChannelId ChannelId,
    Guid SubscriptionId,
    ulong Round,
    SequenceNumber RatchetTarget,
    int Participants,
    TimeSpan ClaimDelay,
    ulong RatchetMaxTime,
    ulong SnapshotMinTime,
    ImmutableArray<AccountId> WatchedAccounts)
{
    public static ChannelMetadata Of(Bundle bundle, Guid subscriptionId)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        return new(bundle.ChannelId, subscriptionId, bundle.Round, bundle.RatchetTarget, bundle.Participants,
            bundle.ClaimDelay, bundle.RatchetTimeBounds.MaxTime, bundle.SnapshotMinTime, bundle.WatchedAccounts);
    }

    /// <summary>The ledger time at which the wallet has stopped refreshing for too long: maxTime(v_max) − D.</summary>
    public ulong DeadlineTime
    {
        get
        {
            var delay = (ulong)ClaimDelay.TotalSeconds;
            return RatchetMaxTime > delay ? RatchetMaxTime - delay : 0;
        }
    }

    public bool Equals(ChannelMetadata? other) =>
        other is not null && ChannelId == other.ChannelId && SubscriptionId == other.SubscriptionId && Round == other.Round
        && RatchetTarget == other.RatchetTarget && Participants == other.Participants && ClaimDelay == other.ClaimDelay
        && RatchetMaxTime == other.RatchetMaxTime && SnapshotMinTime == other.SnapshotMinTime
        && WatchedAccounts.SequenceEqual(other.WatchedAccounts);

    public override int GetHashCode() => HashCode.Combine(ChannelId, Round);
}

/// <summary>One channel as stored: clear metadata, the receipt that was issued, and the sealed bundle.</summary>
public sealed record StoredChannel(ChannelMetadata Metadata, BundleReceipt Receipt, ReadOnlyMemory<byte> SealedBundle);

public enum StoreOutcome
{
    /// <summary>First bundle for this channel.</summary>
    Stored,
    /// <summary>A higher round replaced the stored one (with its indexes).</summary>
    Replaced,
    /// <summary>The same round was already stored: nothing changed; the stored receipt is returned.</summary>
    Unchanged,
    /// <summary>A higher round is stored: nothing changed.</summary>
    Stale,
    /// <summary>The channel belongs to another subscription at an equal or later round: nothing changed.</summary>
    Conflict,
    /// <summary>
    /// The channel belonged to another subscription at a lower round: this valid, higher round (proof
    /// of the version account's ratchet key) took it over, and the old holder's usage was released.
    /// </summary>
    TakenOver,
    /// <summary>The subscription's channel or byte allowance would be exceeded: nothing changed.</summary>
    QuotaExceeded,
}

/// <param name="Receipt">For Stored/Replaced the new receipt, for Unchanged the stored one, else null.</param>
/// <param name="StoredRound">The round held after the call (for Stale: the later one kept).</param>
public sealed record StoreResult(StoreOutcome Outcome, BundleReceipt? Receipt, ulong? StoredRound);

public enum ForgetOutcome
{
    Forgotten,
    NotFound,
    /// <summary>A round above the requested one is stored and was kept.</summary>
    NewerRoundKept,
}

public enum ScheduleKind
{
    /// <summary>maxTime(v_max) − D: set and moved by every accepted round, removed on forget.</summary>
    Deadline,
    /// <summary>Set by responders (e.g. "submit snapshots at minTime").</summary>
    FollowUp,
}

/// <param name="DueTime">Ledger close time (Unix seconds) at which the item is due.</param>
public sealed record ScheduledItem(ChannelId ChannelId, ScheduleKind Kind, ulong DueTime);

/// <summary>An account's 32-byte ed25519 key as four machine words: hashing and equality without allocation.</summary>
public readonly record struct WatchedAccountKey(ulong A, ulong B, ulong C, ulong D)
{
    public static WatchedAccountKey Of(AccountId account) => FromBytes(account.PublicKey);

    public static WatchedAccountKey FromBytes(ReadOnlySpan<byte> key) =>
        key.Length != 32
            ? throw new FormatException("an account key is 32 bytes")
            : new(BinaryPrimitives.ReadUInt64BigEndian(key), BinaryPrimitives.ReadUInt64BigEndian(key[8..]),
                BinaryPrimitives.ReadUInt64BigEndian(key[16..]), BinaryPrimitives.ReadUInt64BigEndian(key[24..]));

    public void WriteTo(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, A);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], B);
        BinaryPrimitives.WriteUInt64BigEndian(destination[16..], C);
        BinaryPrimitives.WriteUInt64BigEndian(destination[24..], D);
    }

    // Keys are ed25519 public keys, uniformly distributed: one word is as good a hash as all four.
    public override int GetHashCode() => (int)A ^ (int)(A >> 32);

    public bool Equals(WatchedAccountKey other) => A == other.A && B == other.B && C == other.C && D == other.D;

    public AccountId ToAccountId()
    {
        Span<byte> bytes = stackalloc byte[32];
        WriteTo(bytes);
        return new AccountId(bytes);
    }
}

/// <summary>One change of the account → channels index: channel now watches <see cref="Added"/> and no longer <see cref="Removed"/>.</summary>
public sealed record WatchedIndexChange(ChannelId ChannelId, ImmutableArray<WatchedAccountKey> Added, ImmutableArray<WatchedAccountKey> Removed);

/// <summary>A page of index changes after a cursor. <see cref="Gap"/>: changes were trimmed since the cursor; reload.</summary>
public sealed record WatchedIndexChanges(ImmutableArray<WatchedIndexChange> Changes, string Cursor, bool Gap);
