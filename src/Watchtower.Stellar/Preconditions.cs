using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>Time bounds in unix seconds; MaxTime 0 means no upper bound.</summary>
public readonly record struct TimeBounds(ulong MinTime, ulong MaxTime) : IXdrCodec<TimeBounds>
{
    public void WriteXdr(XdrWriter w)
    {
        w.WriteUInt64(MinTime);
        w.WriteUInt64(MaxTime);
    }

    public static TimeBounds ReadXdr(XdrReader r)
    {
        var min = r.ReadUInt64();
        return new TimeBounds(min, r.ReadUInt64());
    }
}

/// <summary>Ledger bounds: valid for ledgers Min ≤ n &lt; Max (Max 0 means no upper bound).</summary>
public readonly record struct LedgerBounds(uint Min, uint Max) : IXdrCodec<LedgerBounds>
{
    public void WriteXdr(XdrWriter w)
    {
        w.WriteUInt32(Min);
        w.WriteUInt32(Max);
    }

    public static LedgerBounds ReadXdr(XdrReader r)
    {
        var min = r.ReadUInt32();
        return new LedgerBounds(min, r.ReadUInt32());
    }
}

public enum PreconditionType
{
    None = 0,
    Time = 1,
    V2 = 2,
}

/// <summary>
/// Transaction preconditions (XDR Preconditions). Encoded as the smallest kind that can carry the
/// fields, but never smaller than the kind it was decoded from, so decoded values re-encode byte-exactly.
/// </summary>
public sealed record Preconditions : IXdrCodec<Preconditions>
{
    public const int MaxExtraSigners = 2;
    private readonly ImmutableArray<SignerKey> _extraSigners = [];

    public static Preconditions None { get; } = new();

    public TimeBounds? TimeBounds { get; init; }

    public LedgerBounds? LedgerBounds { get; init; }

    public SequenceNumber? MinSeqNum { get; init; }

    public ulong MinSeqAge { get; init; }

    public uint MinSeqLedgerGap { get; init; }

    public ImmutableArray<SignerKey> ExtraSigners
    {
        get => _extraSigners;
        init
        {
            var v = value.IsDefault ? [] : value;
            if (v.Length > MaxExtraSigners)
            {
                throw new ArgumentException($"at most {MaxExtraSigners} extra signers", nameof(value));
            }

            _extraSigners = v;
        }
    }

    /// <summary>The kind this value was decoded from (None when built in code).</summary>
    public PreconditionType DecodedKind { get; private init; }

    public static Preconditions FromTimeBounds(TimeBounds bounds) => new() { TimeBounds = bounds };

    /// <summary>The kind that will be written.</summary>
    public PreconditionType EncodedKind
    {
        get
        {
            var needed = LedgerBounds is not null || MinSeqNum is not null || MinSeqAge != 0 || MinSeqLedgerGap != 0 || _extraSigners.Length != 0
                ? PreconditionType.V2
                : TimeBounds is not null ? PreconditionType.Time : PreconditionType.None;
            // A decoded TIME kind can only be kept while there are time bounds to carry.
            var floor = DecodedKind == PreconditionType.Time && TimeBounds is null ? PreconditionType.None : DecodedKind;
            return needed > floor ? needed : floor;
        }
    }

    public void WriteXdr(XdrWriter w)
    {
        var kind = EncodedKind;
        w.WriteInt32((int)kind);
        switch (kind)
        {
            case PreconditionType.None:
                break;
            case PreconditionType.Time:
                TimeBounds!.Value.WriteXdr(w);
                break;
            default:
                WriteOptional(w, TimeBounds);
                WriteOptional(w, LedgerBounds);
                w.WriteBool(MinSeqNum is not null);
                if (MinSeqNum is { } seq)
                {
                    w.WriteInt64(seq.Value);
                }

                w.WriteUInt64(MinSeqAge);
                w.WriteUInt32(MinSeqLedgerGap);
                w.WriteArray(_extraSigners, MaxExtraSigners);
                break;
        }
    }

    private static void WriteOptional<T>(XdrWriter w, T? value) where T : struct, IXdrCodec<T>
    {
        w.WriteBool(value is not null);
        value?.WriteXdr(w);
    }

    public static Preconditions ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        switch (type)
        {
            case 0:
                return None;
            case 1:
                return new Preconditions { TimeBounds = r.Read<TimeBounds>(), DecodedKind = PreconditionType.Time };
            case 2:
                TimeBounds? tb = r.ReadPresent() ? r.Read<TimeBounds>() : null;
                LedgerBounds? lb = r.ReadPresent() ? r.Read<LedgerBounds>() : null;
                SequenceNumber? minSeq = r.ReadPresent() ? new SequenceNumber(r.ReadInt64()) : null;
                var age = r.ReadUInt64();
                var gap = r.ReadUInt32();
                var extra = r.ReadArray<SignerKey>(MaxExtraSigners);
                return new Preconditions
                {
                    TimeBounds = tb,
                    LedgerBounds = lb,
                    MinSeqNum = minSeq,
                    MinSeqAge = age,
                    MinSeqLedgerGap = gap,
                    ExtraSigners = extra,
                    DecodedKind = PreconditionType.V2,
                };
            default:
                throw new XdrFormatException($"unknown precondition type {type}");
        }
    }

    public bool Equals(Preconditions? other)
        => other is not null
           && TimeBounds == other.TimeBounds
           && LedgerBounds == other.LedgerBounds
           && MinSeqNum == other.MinSeqNum
           && MinSeqAge == other.MinSeqAge
           && MinSeqLedgerGap == other.MinSeqLedgerGap
           && EncodedKind == other.EncodedKind
           && Equality.Equal(_extraSigners, other._extraSigners);

    public override int GetHashCode() => HashCode.Combine(TimeBounds, LedgerBounds, MinSeqNum, MinSeqAge, MinSeqLedgerGap, EncodedKind, Equality.Hash(_extraSigners));
}
