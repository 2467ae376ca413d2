using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

/// <summary>A transaction envelope (XDR TransactionEnvelope): V0, V1 or fee bump, with its signatures.</summary>
public abstract record TransactionEnvelope : IXdrCodec<TransactionEnvelope>
{
    public const int MaxSignatures = 20;
    private readonly ImmutableArray<DecoratedSignature> _signatures = [];

    private protected TransactionEnvelope(ImmutableArray<DecoratedSignature> signatures) => Signatures = signatures;

    public abstract EnvelopeType Type { get; }

    public ImmutableArray<DecoratedSignature> Signatures
    {
        get => _signatures;
        init
        {
            var sigs = value.IsDefault ? [] : value;
            if (sigs.Length > MaxSignatures)
            {
                throw new ArgumentException($"at most {MaxSignatures} signatures", nameof(value));
            }

            _signatures = sigs;
        }
    }

    public abstract TransactionHash Hash(Network network);

    /// <summary>Returns a new envelope with <paramref name="signer"/>'s signature of the hash appended.</summary>
    public TransactionEnvelope Sign(Network network, KeyPair signer)
    {
        ArgumentNullException.ThrowIfNull(signer);
        return AddSignature(signer.SignDecorated(Hash(network).Bytes));
    }

    public TransactionEnvelope AddSignature(DecoratedSignature signature)
    {
        ArgumentNullException.ThrowIfNull(signature);
        return this with { Signatures = _signatures.Add(signature) };
    }

    public string ToXdrBase64() => XdrCodec.ToBase64(this);

    public byte[] ToXdr() => XdrCodec.Encode(this);

    public static TransactionEnvelope FromXdrBase64(string base64) => XdrCodec.FromBase64<TransactionEnvelope>(base64);

    public void WriteXdr(XdrWriter w)
    {
        w.WriteInt32((int)Type);
        WriteBody(w);
    }

    private protected abstract void WriteBodyWithoutSignatures(XdrWriter w);

    internal void WriteBody(XdrWriter w)
    {
        WriteBodyWithoutSignatures(w);
        w.WriteArray(_signatures, MaxSignatures);
    }

    public static TransactionEnvelope ReadXdr(XdrReader r)
    {
        var type = r.ReadInt32();
        switch (type)
        {
            case (int)EnvelopeType.TxV0:
                var v0 = Transaction.ReadV0(r);
                return new TransactionV0Envelope(v0, r.ReadArray<DecoratedSignature>(MaxSignatures));
            case (int)EnvelopeType.Tx:
                return TransactionV1Envelope.ReadBody(r);
            case (int)EnvelopeType.TxFeeBump:
                var feeBump = r.Read<FeeBumpTransaction>();
                return new FeeBumpEnvelope(feeBump, r.ReadArray<DecoratedSignature>(MaxSignatures));
            default:
                throw new XdrFormatException($"unsupported envelope type {type}");
        }
    }

    protected virtual bool PrintMembers(System.Text.StringBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Append("Type = ").Append(Type).Append(", Signatures = ").Append(_signatures.Length);
        return true;
    }

    public virtual bool Equals(TransactionEnvelope? other)
        => other is not null && other.GetType() == GetType() && Equality.Equal(_signatures, other._signatures);

    public override int GetHashCode() => Equality.Hash(_signatures);
}

/// <summary>A legacy v0 envelope; it keeps its v0 encoding (its hash is that of the equivalent v1 transaction).</summary>
public sealed record TransactionV0Envelope : TransactionEnvelope
{
    public TransactionV0Envelope(Transaction transaction, ImmutableArray<DecoratedSignature> signatures) : base(signatures)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        if (transaction.Source.Id is not null || transaction.Preconditions.EncodedKind == PreconditionType.V2)
        {
            throw new ArgumentException("a v0 transaction has a plain ed25519 source and at most time bounds", nameof(transaction));
        }

        Transaction = transaction;
    }

    public Transaction Transaction { get; }

    public override EnvelopeType Type => EnvelopeType.TxV0;

    public override TransactionHash Hash(Network network) => Transaction.Hash(network);

    private protected override void WriteBodyWithoutSignatures(XdrWriter w) => Transaction.WriteV0(w);

    public bool Equals(TransactionV0Envelope? other) => base.Equals(other) && Transaction == other!.Transaction;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Transaction);
}

public sealed record TransactionV1Envelope : TransactionEnvelope
{
    public TransactionV1Envelope(Transaction transaction, ImmutableArray<DecoratedSignature> signatures) : base(signatures)
        => Transaction = transaction ?? throw new ArgumentNullException(nameof(transaction));

    public Transaction Transaction { get; }

    public override EnvelopeType Type => EnvelopeType.Tx;

    public override TransactionHash Hash(Network network) => Transaction.Hash(network);

    private protected override void WriteBodyWithoutSignatures(XdrWriter w) => Transaction.WriteXdr(w);

    internal static TransactionV1Envelope ReadBody(XdrReader r)
    {
        var tx = r.Read<Transaction>();
        return new TransactionV1Envelope(tx, r.ReadArray<DecoratedSignature>(MaxSignatures));
    }

    public bool Equals(TransactionV1Envelope? other) => base.Equals(other) && Transaction == other!.Transaction;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), Transaction);
}

public sealed record FeeBumpEnvelope : TransactionEnvelope
{
    public FeeBumpEnvelope(FeeBumpTransaction feeBump, ImmutableArray<DecoratedSignature> signatures) : base(signatures)
        => FeeBump = feeBump ?? throw new ArgumentNullException(nameof(feeBump));

    public FeeBumpTransaction FeeBump { get; }

    public override EnvelopeType Type => EnvelopeType.TxFeeBump;

    public override TransactionHash Hash(Network network) => FeeBump.Hash(network);

    private protected override void WriteBodyWithoutSignatures(XdrWriter w) => FeeBump.WriteXdr(w);

    public bool Equals(FeeBumpEnvelope? other) => base.Equals(other) && FeeBump == other!.FeeBump;

    public override int GetHashCode() => HashCode.Combine(base.GetHashCode(), FeeBump);
}
