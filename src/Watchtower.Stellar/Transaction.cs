using System.Collections.Immutable;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Stellar;

public enum EnvelopeType
{
    TxV0 = 0,
    Tx = 2,
    TxFeeBump = 5,
}

/// <summary>A transaction (XDR Transaction with ext v0; Soroban data is not modelled).</summary>
public sealed record Transaction : IXdrCodec<Transaction>
{
    public const int MaxOperations = 100;
    private readonly ImmutableArray<Operation> _operations = [];

    public Transaction(MuxedAccount source, uint fee, SequenceNumber sequence, Preconditions preconditions, Memo memo, ImmutableArray<Operation> operations)
    {
        Source = source ?? throw new ArgumentNullException(nameof(source));
        Fee = fee;
        Sequence = sequence;
        Preconditions = preconditions ?? throw new ArgumentNullException(nameof(preconditions));
        Memo = memo ?? throw new ArgumentNullException(nameof(memo));
        Operations = operations;
    }

    public MuxedAccount Source { get; init; }

    public uint Fee { get; init; }

    public SequenceNumber Sequence { get; init; }

    public Preconditions Preconditions { get; init; }

    public Memo Memo { get; init; }

    public ImmutableArray<Operation> Operations
    {
        get => _operations;
        init
        {
            var ops = value.IsDefault ? [] : value;
            if (ops.Length > MaxOperations)
            {
                throw new ArgumentException($"at most {MaxOperations} operations", nameof(value));
            }

            _operations = ops;
        }
    }

    /// <summary>The bytes whose SHA-256 is the hash: network id, ENVELOPE_TYPE_TX, the transaction.</summary>
    public byte[] SignaturePayload(Network network) => XdrCodec.Encode(TransactionSignaturePayload.ForTransaction(network, this));

    public TransactionHash Hash(Network network) => new(XdrCodec.HashOf(TransactionSignaturePayload.ForTransaction(network, this)));

    /// <summary>The unsigned v1 envelope of this transaction.</summary>
    public TransactionV1Envelope ToEnvelope() => new(this, []);

    public void WriteXdr(XdrWriter w)
    {
        Source.WriteXdr(w);
        WriteBody(w);
    }

    // Everything after the source account; shared with the V0 encoding, which differs only in the
    // source (raw key) and the preconditions (TimeBounds*, whose bytes equal PRECOND_NONE/TIME).
    internal void WriteBody(XdrWriter w)
    {
        w.WriteUInt32(Fee);
        w.WriteInt64(Sequence.Value);
        Preconditions.WriteXdr(w);
        Memo.WriteXdr(w);
        w.WriteArray(_operations, MaxOperations);
        w.WriteInt32(0); // ext v0
    }

    public static Transaction ReadXdr(XdrReader r)
    {
        var source = r.Read<MuxedAccount>();
        var fee = r.ReadUInt32();
        var seq = new SequenceNumber(r.ReadInt64());
        var cond = r.Read<Preconditions>();
        var memo = r.Read<Memo>();
        var ops = r.ReadArray<Operation>(MaxOperations);
        var ext = r.ReadInt32();
        if (ext != 0)
        {
            throw ext == 1
                ? new XdrUnsupportedException("unsupported transaction ext v1 (Soroban transaction data)")
                : new XdrFormatException($"unknown transaction ext {ext}");
        }

        return new Transaction(source, fee, seq, cond, memo, ops);
    }

    /// <summary>Reads a TransactionV0 as the equivalent Transaction (same hash, same bytes after the source).</summary>
    internal static Transaction ReadV0(XdrReader r)
    {
        var source = AccountId.FromKey(r.Read<Hash256>());
        var fee = r.ReadUInt32();
        var seq = new SequenceNumber(r.ReadInt64());
        var cond = r.ReadPresent() ? Preconditions.FromTimeBounds(r.Read<TimeBounds>()) : Preconditions.None;
        var memo = r.Read<Memo>();
        var ops = r.ReadArray<Operation>(MaxOperations);
        var ext = r.ReadInt32();
        if (ext != 0)
        {
            throw new XdrFormatException($"unknown transaction v0 ext {ext}");
        }

        return new Transaction(source, fee, seq, cond, memo, ops);
    }

    internal void WriteV0(XdrWriter w)
    {
        if (Source.Id is not null)
        {
            throw new InvalidOperationException("a v0 transaction cannot have a muxed source account");
        }

        if (Preconditions.EncodedKind == PreconditionType.V2)
        {
            throw new InvalidOperationException("a v0 transaction can only carry time bounds");
        }

        w.WriteFixedOpaque(Source.Account.PublicKey);
        WriteBody(w);
    }

    public bool Equals(Transaction? other)
        => other is not null
           && Source == other.Source
           && Fee == other.Fee
           && Sequence == other.Sequence
           && Preconditions == other.Preconditions
           && Memo == other.Memo
           && Equality.Equal(_operations, other._operations);

    public override int GetHashCode() => HashCode.Combine(Source, Fee, Sequence, Preconditions, Memo, Equality.Hash(_operations));
}

/// <summary>A fee-bump transaction wrapping a v1 envelope (XDR FeeBumpTransaction).</summary>
public sealed record FeeBumpTransaction : IXdrCodec<FeeBumpTransaction>
{
    public FeeBumpTransaction(MuxedAccount feeSource, long fee, TransactionEnvelope inner)
    {
        FeeSource = feeSource ?? throw new ArgumentNullException(nameof(feeSource));
        Fee = fee;
        _inner = CheckInner(inner);
    }

    private readonly TransactionV1Envelope _inner;

    public MuxedAccount FeeSource { get; init; }

    public long Fee { get; init; }

    /// <summary>The wrapped envelope; always a <see cref="TransactionV1Envelope"/>.</summary>
    public TransactionEnvelope Inner { get => _inner; init => _inner = CheckInner(value); }

    public Transaction InnerTransaction => _inner.Transaction;

    private static TransactionV1Envelope CheckInner(TransactionEnvelope inner)
        => inner as TransactionV1Envelope ?? throw new ArgumentException("a fee bump wraps a v1 transaction envelope", nameof(inner));

    /// <summary>Wraps an envelope (a v0 one is converted to v1, which keeps its hash and signatures valid).</summary>
    public static FeeBumpTransaction Wrap(TransactionEnvelope inner, MuxedAccount feeSource, long fee)
    {
        ArgumentNullException.ThrowIfNull(inner);
        var v1 = inner switch
        {
            TransactionV1Envelope e => e,
            TransactionV0Envelope e => new TransactionV1Envelope(e.Transaction, e.Signatures),
            _ => throw new ArgumentException("cannot fee-bump a fee bump", nameof(inner)),
        };
        return new FeeBumpTransaction(feeSource, fee, v1);
    }

    public byte[] SignaturePayload(Network network) => XdrCodec.Encode(TransactionSignaturePayload.ForFeeBump(network, this));

    public TransactionHash Hash(Network network) => new(XdrCodec.HashOf(TransactionSignaturePayload.ForFeeBump(network, this)));

    public FeeBumpEnvelope ToEnvelope() => new(this, []);

    public void WriteXdr(XdrWriter w)
    {
        FeeSource.WriteXdr(w);
        w.WriteInt64(Fee);
        w.WriteInt32((int)EnvelopeType.Tx);
        _inner.WriteBody(w);
        w.WriteInt32(0); // ext v0
    }

    public static FeeBumpTransaction ReadXdr(XdrReader r)
    {
        var feeSource = r.Read<MuxedAccount>();
        var fee = r.ReadInt64();
        var type = r.ReadInt32();
        if (type != (int)EnvelopeType.Tx)
        {
            throw new XdrFormatException($"fee bump inner transaction has envelope type {type}, expected {(int)EnvelopeType.Tx}");
        }

        var inner = TransactionV1Envelope.ReadBody(r);
        var ext = r.ReadInt32();
        if (ext != 0)
        {
            throw new XdrFormatException($"unknown fee bump ext {ext}");
        }

        return new FeeBumpTransaction(feeSource, fee, inner);
    }
}

/// <summary>
/// XDR TransactionSignaturePayload: network id + the tagged transaction (ENVELOPE_TYPE_TX or
/// ENVELOPE_TYPE_TX_FEE_BUMP). Its SHA-256 is the transaction hash that signers sign.
/// </summary>
public sealed record TransactionSignaturePayload : IXdrCodec<TransactionSignaturePayload>
{
    private TransactionSignaturePayload(Hash256 networkId, Transaction? transaction, FeeBumpTransaction? feeBump)
    {
        NetworkId = networkId;
        Transaction = transaction;
        FeeBump = feeBump;
    }

    public Hash256 NetworkId { get; }

    public Transaction? Transaction { get; }

    public FeeBumpTransaction? FeeBump { get; }

    public static TransactionSignaturePayload ForTransaction(Network network, Transaction transaction)
        => new(network.NetworkId, transaction ?? throw new ArgumentNullException(nameof(transaction)), null);

    public static TransactionSignaturePayload ForFeeBump(Network network, FeeBumpTransaction feeBump)
        => new(network.NetworkId, null, feeBump ?? throw new ArgumentNullException(nameof(feeBump)));

    public void WriteXdr(XdrWriter w)
    {
        NetworkId.WriteXdr(w);
        if (Transaction is not null)
        {
            w.WriteInt32((int)EnvelopeType.Tx);
            Transaction.WriteXdr(w);
        }
        else
        {
            w.WriteInt32((int)EnvelopeType.TxFeeBump);
            FeeBump!.WriteXdr(w);
        }
    }

    public static TransactionSignaturePayload ReadXdr(XdrReader r)
    {
        var networkId = r.Read<Hash256>();
        var type = r.ReadInt32();
        return type switch
        {
            (int)EnvelopeType.Tx => new TransactionSignaturePayload(networkId, r.Read<Transaction>(), null),
            (int)EnvelopeType.TxFeeBump => new TransactionSignaturePayload(networkId, null, r.Read<FeeBumpTransaction>()),
            _ => throw new XdrFormatException($"invalid signature payload envelope type {type}"),
        };
    }
}
