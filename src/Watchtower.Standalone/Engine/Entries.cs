using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// An account ledger entry as stellar-core keeps it; data entries live here too (they are
/// separate ledger entries in core but only ever belong to one account and count as its subentries).
/// </summary>
public sealed record AccountState(
    AccountId Id,
    long Balance,
    long SeqNum,
    uint NumSubEntries,
    AccountId? InflationDest,
    uint Flags,
    string HomeDomain,
    Thresholds Thresholds,
    ImmutableArray<Signer> Signers,
    ImmutableSortedDictionary<string, byte[]> Data,
    uint SeqLedger,
    ulong SeqTime,
    uint LastModifiedLedger)
{
    public const uint AuthRequiredFlag = 0x1;
    public const uint AuthRevocableFlag = 0x2;
    public const uint AuthImmutableFlag = 0x4;
    public const uint AuthClawbackEnabledFlag = 0x8;
    public const uint AllFlags = AuthRequiredFlag | AuthRevocableFlag | AuthImmutableFlag | AuthClawbackEnabledFlag;

    public static AccountState Create(AccountId id, long balance, long seqNum, uint ledger) => new(
        id, balance, seqNum, 0, null, 0, "", new Thresholds(1, 0, 0, 0),
        ImmutableArray<Signer>.Empty, ImmutableSortedDictionary.Create<string, byte[]>(StringComparer.Ordinal), 0, 0, ledger);

    /// <summary>Minimum balance: (2 + subentries) base reserves (no sponsorship modelled).</summary>
    public long MinimumBalance(long baseReserve) => (2 + (long)NumSubEntries) * baseReserve;

    /// <summary>What the account may spend without going below its reserve (no liabilities: no offers).</summary>
    public long AvailableBalance(long baseReserve) => Balance - MinimumBalance(baseReserve);

    public bool Equals(AccountState? other) => other is not null
        && Id == other.Id && Balance == other.Balance && SeqNum == other.SeqNum && NumSubEntries == other.NumSubEntries
        && InflationDest == other.InflationDest && Flags == other.Flags && HomeDomain == other.HomeDomain
        && Thresholds == other.Thresholds && Signers.SequenceEqual(other.Signers)
        && Data.Count == other.Data.Count && Data.All(kv => other.Data.TryGetValue(kv.Key, out var v) && v.AsSpan().SequenceEqual(kv.Value))
        && SeqLedger == other.SeqLedger && SeqTime == other.SeqTime && LastModifiedLedger == other.LastModifiedLedger;

    public override int GetHashCode() => HashCode.Combine(Id, Balance, SeqNum, NumSubEntries, Flags, SeqLedger, SeqTime);
}

/// <summary>Key of a trustline: the holder and the credit asset.</summary>
public readonly record struct TrustLineKey(AccountId Account, Asset Asset);

/// <summary>A trustline ledger entry (credit assets only; no liabilities since offers are not modelled).</summary>
public sealed record TrustLineState(AccountId Account, Asset Asset, long Balance, long Limit, uint Flags, uint LastModifiedLedger)
{
    public const uint AuthorizedFlag = 0x1;
    public const uint AuthorizedToMaintainLiabilitiesFlag = 0x2;

    public bool IsAuthorized => (Flags & AuthorizedFlag) != 0;
}
