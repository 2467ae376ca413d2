using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>The ledger facts a validation or application runs against.</summary>
internal readonly record struct LedgerContext(uint LedgerSeq, ulong CloseTime, long BaseFee, long BaseReserve);

/// <summary>
/// A submitted envelope taken apart once: the (inner) transaction, its hashes and signatures, and
/// for a fee bump the outer fee source, fee and signatures.
/// </summary>
public sealed class TxFrame
{
    private TxFrame(TransactionEnvelope envelope, Transaction tx, TransactionHash hash, TransactionHash innerHash,
        ImmutableArray<DecoratedSignature> innerSignatures, FeeBumpTransaction? feeBump, ImmutableArray<DecoratedSignature> outerSignatures)
    {
        Envelope = envelope;
        Tx = tx;
        Hash = hash;
        InnerHash = innerHash;
        InnerSignatures = innerSignatures;
        FeeBump = feeBump;
        OuterSignatures = outerSignatures;
    }

    public TransactionEnvelope Envelope { get; }

    /// <summary>The transaction whose operations run (the inner one for a fee bump).</summary>
    public Transaction Tx { get; }

    /// <summary>The envelope's hash (the fee bump's own hash for a fee bump).</summary>
    public TransactionHash Hash { get; }

    /// <summary>The hash of <see cref="Tx"/>: what its signatures sign.</summary>
    public TransactionHash InnerHash { get; }

    public ImmutableArray<DecoratedSignature> InnerSignatures { get; }

    public FeeBumpTransaction? FeeBump { get; }

    public ImmutableArray<DecoratedSignature> OuterSignatures { get; }

    /// <summary>Verification outcomes of <see cref="InnerSignatures"/>: verified once, reused at apply.</summary>
    internal SignatureVerificationCache InnerVerifications { get; } = new();

    /// <summary>Verification outcomes of <see cref="OuterSignatures"/>.</summary>
    internal SignatureVerificationCache OuterVerifications { get; } = new();

    public bool IsFeeBump => FeeBump is not null;

    public AccountId Source => Tx.Source.Account;

    public AccountId FeeSource => FeeBump?.FeeSource.Account ?? Source;

    /// <summary>The fee offered for the whole envelope.</summary>
    public long FeeBid => FeeBump?.Fee ?? Tx.Fee;

    /// <summary>Operations for fee purposes: a fee bump counts one more than its inner transaction.</summary>
    public int FeeOps => Tx.Operations.Length + (IsFeeBump ? 1 : 0);

    public static TxFrame Create(TransactionEnvelope envelope, Network network)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(network);
        switch (envelope)
        {
            case FeeBumpEnvelope fb:
                var inner = fb.FeeBump.Inner;
                var innerTx = TransactionOf(inner);
                return new TxFrame(envelope, innerTx, fb.Hash(network), innerTx.Hash(network), inner.Signatures,
                    fb.FeeBump, fb.Signatures);
            default:
                var tx = TransactionOf(envelope);
                var hash = tx.Hash(network);
                return new TxFrame(envelope, tx, hash, hash, envelope.Signatures, null, ImmutableArray<DecoratedSignature>.Empty);
        }
    }

    private static Transaction TransactionOf(TransactionEnvelope envelope) => envelope switch
    {
        TransactionV1Envelope v1 => v1.Transaction,
        TransactionV0Envelope v0 => v0.Transaction,
        _ => throw new ArgumentException("a fee bump cannot wrap a fee bump", nameof(envelope)),
    };
}
