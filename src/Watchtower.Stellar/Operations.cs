using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>Operation types with stellar-core's numbering (only some are modelled as operations).</summary>
public enum OperationType
{
    CreateAccount = 0,
    Payment = 1,
    PathPaymentStrictReceive = 2,
    ManageSellOffer = 3,
    CreatePassiveSellOffer = 4,
    SetOptions = 5,
    ChangeTrust = 6,
    AllowTrust = 7,
    AccountMerge = 8,
    Inflation = 9,
    ManageData = 10,
    BumpSequence = 11,
    ManageBuyOffer = 12,
    PathPaymentStrictSend = 13,
    CreateClaimableBalance = 14,
    ClaimClaimableBalance = 15,
    BeginSponsoringFutureReserves = 16,
    EndSponsoringFutureReserves = 17,
    RevokeSponsorship = 18,
    Clawback = 19,
    ClawbackClaimableBalance = 20,
    SetTrustLineFlags = 21,
    LiquidityPoolDeposit = 22,
    LiquidityPoolWithdraw = 23,
    InvokeHostFunction = 24,
    ExtendFootprintTtl = 25,
    RestoreFootprint = 26,
}

/// <summary>An operation (XDR Operation: optional source account + body).</summary>
public abstract record Operation : IXdrCodec<Operation>
{
    private protected Operation() { }

    public MuxedAccount? SourceAccount { get; init; }

    public abstract OperationType Type { get; }

    public void WriteXdr(XdrWriter w)
    {
        w.WriteBool(SourceAccount is not null);
        SourceAccount?.WriteXdr(w);
        w.WriteInt32((int)Type);
        WriteBody(w);
    }

    private protected abstract void WriteBody(XdrWriter w);

    public static Operation ReadXdr(XdrReader r)
    {
        var source = r.ReadPresent() ? r.Read<MuxedAccount>() : null;
        var type = r.ReadInt32();
        Operation op = type switch
        {
            (int)OperationType.CreateAccount => CreateAccountOperation.ReadBody(r),
            (int)OperationType.Payment => PaymentOperation.ReadBody(r),
            (int)OperationType.SetOptions => SetOptionsOperation.ReadBody(r),
            (int)OperationType.ChangeTrust => ChangeTrustOperation.ReadBody(r),
            (int)OperationType.AccountMerge => AccountMergeOperation.ReadBody(r),
            (int)OperationType.ManageData => ManageDataOperation.ReadBody(r),
            (int)OperationType.BumpSequence => new BumpSequenceOperation(new SequenceNumber(r.ReadInt64())),
            _ => throw new XdrUnsupportedException($"unsupported operation {type}"),
        };
        return source is null ? op : op with { SourceAccount = source };
    }
}

public sealed record CreateAccountOperation(AccountId Destination, Stroops StartingBalance) : Operation
{
    public override OperationType Type => OperationType.CreateAccount;

    private protected override void WriteBody(XdrWriter w)
    {
        Destination.WriteXdr(w);
        w.WriteInt64(StartingBalance.Value);
    }

    internal static CreateAccountOperation ReadBody(XdrReader r)
    {
        var dest = r.Read<AccountId>();
        return new CreateAccountOperation(dest, new Stroops(r.ReadInt64()));
    }
}

public sealed record PaymentOperation(MuxedAccount Destination, Asset Asset, Stroops Amount) : Operation
{
    public override OperationType Type => OperationType.Payment;

    private protected override void WriteBody(XdrWriter w)
    {
        Destination.WriteXdr(w);
        Asset.WriteXdr(w);
        w.WriteInt64(Amount.Value);
    }

    internal static PaymentOperation ReadBody(XdrReader r)
    {
        var dest = r.Read<MuxedAccount>();
        var asset = r.Read<Asset>();
        return new PaymentOperation(dest, asset, new Stroops(r.ReadInt64()));
    }
}

/// <summary>SET_OPTIONS: every field optional; HomeDomain is a string&lt;32&gt;.</summary>
public sealed record SetOptionsOperation(
    AccountId? InflationDest = null,
    uint? ClearFlags = null,
    uint? SetFlags = null,
    uint? MasterWeight = null,
    uint? LowThreshold = null,
    uint? MedThreshold = null,
    uint? HighThreshold = null,
    string? HomeDomain = null,
    Signer? Signer = null) : Operation
{
    public const int MaxHomeDomain = 32;

    private readonly string? _homeDomain = CheckHomeDomain(HomeDomain);

    public string? HomeDomain { get => _homeDomain; init => _homeDomain = CheckHomeDomain(value); }

    private static string? CheckHomeDomain(string? value)
        => value is not null && System.Text.Encoding.UTF8.GetByteCount(value) > MaxHomeDomain
            ? throw new ArgumentException($"home domain longer than {MaxHomeDomain} bytes", nameof(HomeDomain))
            : value;

    public override OperationType Type => OperationType.SetOptions;

    private protected override void WriteBody(XdrWriter w)
    {
        w.WriteBool(InflationDest is not null);
        InflationDest?.WriteXdr(w);
        WriteOptional(w, ClearFlags);
        WriteOptional(w, SetFlags);
        WriteOptional(w, MasterWeight);
        WriteOptional(w, LowThreshold);
        WriteOptional(w, MedThreshold);
        WriteOptional(w, HighThreshold);
        w.WriteBool(HomeDomain is not null);
        if (HomeDomain is not null)
        {
            w.WriteString(HomeDomain, MaxHomeDomain);
        }

        w.WriteBool(Signer is not null);
        Signer?.WriteXdr(w);
    }

    private static void WriteOptional(XdrWriter w, uint? value)
    {
        w.WriteBool(value is not null);
        if (value is { } v)
        {
            w.WriteUInt32(v);
        }
    }

    private static uint? ReadOptional(XdrReader r) => r.ReadPresent() ? r.ReadUInt32() : null;

    internal static SetOptionsOperation ReadBody(XdrReader r)
    {
        AccountId? inflation = r.ReadPresent() ? r.Read<AccountId>() : null;
        var clear = ReadOptional(r);
        var set = ReadOptional(r);
        var master = ReadOptional(r);
        var low = ReadOptional(r);
        var med = ReadOptional(r);
        var high = ReadOptional(r);
        var home = r.ReadPresent() ? r.ReadString(MaxHomeDomain) : null;
        var signer = r.ReadPresent() ? r.Read<Signer>() : null;
        return new SetOptionsOperation(inflation, clear, set, master, low, med, high, home, signer);
    }
}

/// <summary>CHANGE_TRUST for native / alphanum4 / alphanum12 lines (liquidity-pool shares are not modelled).</summary>
public sealed record ChangeTrustOperation(Asset Line, long Limit) : Operation
{
    public override OperationType Type => OperationType.ChangeTrust;

    private protected override void WriteBody(XdrWriter w)
    {
        Line.WriteXdr(w);
        w.WriteInt64(Limit);
    }

    internal static ChangeTrustOperation ReadBody(XdrReader r)
    {
        // ChangeTrustAsset shares Asset's arms 0..2; arm 3 is ASSET_TYPE_POOL_SHARE.
        var type = r.ReadInt32();
        Asset line = type switch
        {
            0 => Asset.Native,
            1 => CreditAlphanum4Asset.ReadBody(r),
            2 => CreditAlphanum12Asset.ReadBody(r),
            3 => throw new XdrUnsupportedException("unsupported change trust asset: liquidity pool shares"),
            _ => throw new XdrFormatException($"unknown change trust asset type {type}"),
        };
        return new ChangeTrustOperation(line, r.ReadInt64());
    }
}

public sealed record AccountMergeOperation(MuxedAccount Destination) : Operation
{
    public override OperationType Type => OperationType.AccountMerge;

    private protected override void WriteBody(XdrWriter w) => Destination.WriteXdr(w);

    internal static AccountMergeOperation ReadBody(XdrReader r) => new(r.Read<MuxedAccount>());
}

/// <summary>MANAGE_DATA: Name is a string&lt;64&gt;; Value (opaque&lt;64&gt;) null deletes the entry.</summary>
public sealed record ManageDataOperation : Operation
{
    public const int MaxName = 64;
    public const int MaxValue = 64;
    private readonly byte[]? _value;

    public ManageDataOperation(string name, byte[]? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (System.Text.Encoding.UTF8.GetByteCount(name) > MaxName)
        {
            throw new ArgumentException($"data name longer than {MaxName} bytes", nameof(name));
        }

        if (value is not null && value.Length > MaxValue)
        {
            throw new ArgumentException($"data value longer than {MaxValue} bytes", nameof(value));
        }

        Name = name;
        _value = (byte[]?)value?.Clone();
    }

    public string Name { get; }

    public byte[]? Value => (byte[]?)_value?.Clone();

    public override OperationType Type => OperationType.ManageData;

    private protected override void WriteBody(XdrWriter w)
    {
        w.WriteString(Name, MaxName);
        w.WriteBool(_value is not null);
        if (_value is not null)
        {
            w.WriteVarOpaque(_value, MaxValue);
        }
    }

    internal static ManageDataOperation ReadBody(XdrReader r)
    {
        var name = r.ReadString(MaxName);
        var value = r.ReadPresent() ? r.ReadVarOpaque(MaxValue) : null;
        return new ManageDataOperation(name, value);
    }

    public bool Equals(ManageDataOperation? other)
        => other is not null && SourceAccount == other.SourceAccount && Name == other.Name && Equality.Equal(_value, other._value);

    public override int GetHashCode() => HashCode.Combine(SourceAccount, Name, Equality.Hash(_value));
}

public sealed record BumpSequenceOperation(SequenceNumber BumpTo) : Operation
{
    public override OperationType Type => OperationType.BumpSequence;

    private protected override void WriteBody(XdrWriter w) => w.WriteInt64(BumpTo.Value);
}
