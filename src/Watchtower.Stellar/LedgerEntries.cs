using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

public enum LedgerEntryType
{
    Account = 0,
    Trustline = 1,
    Offer = 2,
    Data = 3,
    ClaimableBalance = 4,
    LiquidityPool = 5,
    ContractData = 6,
    ContractCode = 7,
    ConfigSetting = 8,
    Ttl = 9,
}

/// <summary>XDR SponsorshipDescriptor (AccountID*): the sponsor of a signer, or none.</summary>
public readonly record struct SponsorshipDescriptor(AccountId? Sponsor) : IXdrCodec<SponsorshipDescriptor>
{
    public void WriteXdr(XdrWriter w)
    {
        w.WriteBool(Sponsor is not null);
        Sponsor?.WriteXdr(w);
    }

    public static SponsorshipDescriptor ReadXdr(XdrReader r) => new(r.ReadPresent() ? r.Read<AccountId>() : null);
}

public readonly record struct Liabilities(Stroops Buying, Stroops Selling) : IXdrCodec<Liabilities>
{
    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt64(Buying.Value);
        w.WriteInt64(Selling.Value);
    }

    public static Liabilities ReadXdr(XdrReader r)
    {
        var buying = new Stroops(r.ReadInt64());
        return new Liabilities(buying, new Stroops(r.ReadInt64()));
    }
}

/// <summary>AccountEntryExtensionV3: when the sequence number last changed (ledger and close time).</summary>
public sealed record AccountEntryExtensionV3(uint SeqLedger, ulong SeqTime) : IXdrCodec<AccountEntryExtensionV3>
{
    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32(0); // ExtensionPoint v0
        w.WriteUInt32(SeqLedger);
        w.WriteUInt64(SeqTime);
    }

    public static AccountEntryExtensionV3 ReadXdr(XdrReader r)
    {
        TransactionResult.ReadExtV0(r);
        var ledger = r.ReadUInt32();
        return new AccountEntryExtensionV3(ledger, r.ReadUInt64());
    }
}

/// <summary>AccountEntryExtensionV2: sponsorship counters and the sponsor of each signer.</summary>
public sealed record AccountEntryExtensionV2 : IXdrCodec<AccountEntryExtensionV2>
{
    private readonly ImmutableArray<SponsorshipDescriptor> _signerSponsoringIds = [];

    public AccountEntryExtensionV2(uint numSponsored, uint numSponsoring, ImmutableArray<SponsorshipDescriptor> signerSponsoringIds, AccountEntryExtensionV3? v3)
    {
        NumSponsored = numSponsored;
        NumSponsoring = numSponsoring;
        SignerSponsoringIds = signerSponsoringIds;
        V3 = v3;
    }

    public uint NumSponsored { get; init; }

    public uint NumSponsoring { get; init; }

    public ImmutableArray<SponsorshipDescriptor> SignerSponsoringIds
    {
        get => _signerSponsoringIds;
        init => _signerSponsoringIds = value.IsDefault ? [] : value.Length > AccountEntry.MaxSigners
            ? throw new ArgumentException($"at most {AccountEntry.MaxSigners} signer sponsors", nameof(value))
            : value;
    }

    public AccountEntryExtensionV3? V3 { get; init; }

    public void WriteXdr(XdrWriter w)
    {
        w.WriteUInt32(NumSponsored);
        w.WriteUInt32(NumSponsoring);
        w.WriteArray(_signerSponsoringIds, AccountEntry.MaxSigners);
        w.WriteInt32(V3 is null ? 0 : 3);
        V3?.WriteXdr(w);
    }

    public static AccountEntryExtensionV2 ReadXdr(XdrReader r)
    {
        var sponsored = r.ReadUInt32();
        var sponsoring = r.ReadUInt32();
        var ids = r.ReadArray<SponsorshipDescriptor>(AccountEntry.MaxSigners);
        var v = r.ReadInt32();
        var v3 = v switch
        {
            0 => null,
            3 => r.Read<AccountEntryExtensionV3>(),
            _ => throw new XdrFormatException($"unknown account entry extension v2 ext {v}"),
        };
        return new AccountEntryExtensionV2(sponsored, sponsoring, ids, v3);
    }

    public bool Equals(AccountEntryExtensionV2? other)
        => other is not null && NumSponsored == other.NumSponsored && NumSponsoring == other.NumSponsoring
           && V3 == other.V3 && Equality.Equal(_signerSponsoringIds, other._signerSponsoringIds);

    public override int GetHashCode() => HashCode.Combine(NumSponsored, NumSponsoring, V3, Equality.Hash(_signerSponsoringIds));
}

/// <summary>AccountEntryExtensionV1: buying/selling liabilities.</summary>
public sealed record AccountEntryExtensionV1(Liabilities Liabilities, AccountEntryExtensionV2? V2) : IXdrCodec<AccountEntryExtensionV1>
{
    public void WriteXdr(XdrWriter w)
    {
        Liabilities.WriteXdr(w);
        w.WriteInt32(V2 is null ? 0 : 2);
        V2?.WriteXdr(w);
    }

    public static AccountEntryExtensionV1 ReadXdr(XdrReader r)
    {
        var liabilities = r.Read<Liabilities>();
        var v = r.ReadInt32();
        var v2 = v switch
        {
            0 => null,
            2 => r.Read<AccountEntryExtensionV2>(),
            _ => throw new XdrFormatException($"unknown account entry extension v1 ext {v}"),
        };
        return new AccountEntryExtensionV1(liabilities, v2);
    }
}

/// <summary>An account ledger entry (XDR AccountEntry) with its extension chain v1 → v2 → v3.</summary>
public sealed record AccountEntry : IXdrCodec<AccountEntry>
{
    public const int MaxSigners = 20;
    public const int MaxHomeDomain = 32;
    private readonly ImmutableArray<Signer> _signers = [];
    private readonly string _homeDomain = string.Empty;

    public required AccountId AccountId { get; init; }

    public Stroops Balance { get; init; }

    public SequenceNumber SeqNum { get; init; }

    public uint NumSubEntries { get; init; }

    public AccountId? InflationDest { get; init; }

    public uint Flags { get; init; }

    public string HomeDomain
    {
        get => _homeDomain;
        init => _homeDomain = System.Text.Encoding.UTF8.GetByteCount(value ?? throw new ArgumentNullException(nameof(value))) > MaxHomeDomain
            ? throw new ArgumentException($"home domain longer than {MaxHomeDomain} bytes", nameof(value))
            : value;
    }

    public Thresholds Thresholds { get; init; } = new(1, 0, 0, 0);

    public ImmutableArray<Signer> Signers
    {
        get => _signers;
        init => _signers = value.IsDefault ? [] : value.Length > MaxSigners
            ? throw new ArgumentException($"at most {MaxSigners} signers", nameof(value))
            : value;
    }

    public AccountEntryExtensionV1? V1 { get; init; }

    public Liabilities Liabilities => V1?.Liabilities ?? default;

    public uint NumSponsored => V1?.V2?.NumSponsored ?? 0;

    public uint NumSponsoring => V1?.V2?.NumSponsoring ?? 0;

    /// <summary>Ledger in which the sequence number last changed (0 without the v3 extension).</summary>
    public uint SeqLedger => V1?.V2?.V3?.SeqLedger ?? 0;

    /// <summary>Close time when the sequence number last changed (0 without the v3 extension).</summary>
    public ulong SeqTime => V1?.V2?.V3?.SeqTime ?? 0;

    public void WriteXdr(XdrWriter w)
    {
        AccountId.WriteXdr(w);
        w.WriteInt64(Balance.Value);
        w.WriteInt64(SeqNum.Value);
        w.WriteUInt32(NumSubEntries);
        w.WriteBool(InflationDest is not null);
        InflationDest?.WriteXdr(w);
        w.WriteUInt32(Flags);
        w.WriteString(_homeDomain, MaxHomeDomain);
        Thresholds.WriteXdr(w);
        w.WriteArray(_signers, MaxSigners);
        w.WriteInt32(V1 is null ? 0 : 1);
        V1?.WriteXdr(w);
    }

    public static AccountEntry ReadXdr(XdrReader r)
    {
        var id = r.Read<AccountId>();
        var balance = new Stroops(r.ReadInt64());
        var seq = new SequenceNumber(r.ReadInt64());
        var subEntries = r.ReadUInt32();
        AccountId? inflation = r.ReadPresent() ? r.Read<AccountId>() : null;
        var flags = r.ReadUInt32();
        var home = r.ReadString(MaxHomeDomain);
        var thresholds = r.Read<Thresholds>();
        var signers = r.ReadArray<Signer>(MaxSigners);
        var v = r.ReadInt32();
        var v1 = v switch
        {
            0 => null,
            1 => r.Read<AccountEntryExtensionV1>(),
            _ => throw new XdrFormatException($"unknown account entry ext {v}"),
        };
        return new AccountEntry
        {
            AccountId = id,
            Balance = balance,
            SeqNum = seq,
            NumSubEntries = subEntries,
            InflationDest = inflation,
            Flags = flags,
            HomeDomain = home,
            Thresholds = thresholds,
            Signers = signers,
            V1 = v1,
        };
    }

    public bool Equals(AccountEntry? other)
        => other is not null && AccountId == other.AccountId && Balance == other.Balance && SeqNum == other.SeqNum
           && NumSubEntries == other.NumSubEntries && InflationDest == other.InflationDest && Flags == other.Flags
           && _homeDomain == other._homeDomain && Thresholds == other.Thresholds && V1 == other.V1
           && Equality.Equal(_signers, other._signers);

    public override int GetHashCode() => HashCode.Combine(AccountId, Balance, SeqNum, NumSubEntries, Flags, _homeDomain, V1, Equality.Hash(_signers));
}

/// <summary>A ledger key; only ACCOUNT keys are modelled.</summary>
public sealed record LedgerKey : IXdrCodec<LedgerKey>
{
    private LedgerKey(AccountId accountId) => AccountId = accountId;

    public LedgerEntryType Type => LedgerEntryType.Account;

    public AccountId AccountId { get; }

    public static LedgerKey Account(AccountId accountId) => new(accountId);

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32((int)LedgerEntryType.Account);
        AccountId.WriteXdr(w);
    }

    public static LedgerKey ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        return type == (int)LedgerEntryType.Account
            ? new LedgerKey(r.Read<AccountId>())
            : throw new XdrUnsupportedException($"unsupported ledger entry type {type}");
    }
}

/// <summary>LedgerEntryExtensionV1: the sponsor of the entry, if any.</summary>
public sealed record LedgerEntryExtensionV1(AccountId? SponsoringId) : IXdrCodec<LedgerEntryExtensionV1>
{
    public void WriteXdr(XdrWriter w)
    {
        new SponsorshipDescriptor(SponsoringId).WriteXdr(w);
        w.WriteInt32(0); // ext v0
    }

    public static LedgerEntryExtensionV1 ReadXdr(XdrReader r)
    {
        var sponsor = r.Read<SponsorshipDescriptor>();
        TransactionResult.ReadExtV0(r);
        return new LedgerEntryExtensionV1(sponsor.Sponsor);
    }
}

/// <summary>A ledger entry; only ACCOUNT entries are modelled.</summary>
public sealed record LedgerEntry(uint LastModifiedLedgerSeq, AccountEntry Account, LedgerEntryExtensionV1? V1 = null) : IXdrCodec<LedgerEntry>
{
    public LedgerKey Key => LedgerKey.Account(Account.AccountId);

    public void WriteXdr(XdrWriter w)
    {
        w.WriteUInt32(LastModifiedLedgerSeq);
        w.WriteInt32((int)LedgerEntryType.Account);
        Account.WriteXdr(w);
        w.WriteInt32(V1 is null ? 0 : 1);
        V1?.WriteXdr(w);
    }

    public static LedgerEntry ReadXdr(XdrReader r)
    {
        var lastModified = r.ReadUInt32();
        var type = r.ReadInt32();
        if (type != (int)LedgerEntryType.Account)
        {
            throw new XdrUnsupportedException($"unsupported ledger entry type {type}");
        }

        var account = r.Read<AccountEntry>();
        var v = r.ReadInt32();
        var v1 = v switch
        {
            0 => null,
            1 => r.Read<LedgerEntryExtensionV1>(),
            _ => throw new XdrFormatException($"unknown ledger entry ext {v}"),
        };
        return new LedgerEntry(lastModified, account, v1);
    }
}
