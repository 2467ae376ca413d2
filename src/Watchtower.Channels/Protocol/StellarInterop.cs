using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>The few Stellar primitives the channel protocol signs and verifies with.</summary>
internal static class StellarInterop
{
    public static byte[] Hash(Transaction tx, Network network) => tx.Hash(network).Bytes.ToArray();

    public static DecoratedSignature Sign(KeyPair key, byte[] hash) => key.SignDecorated(hash);

    /// <summary>A signature counts only if its hint names the key and it verifies: the ledger matches by hint.</summary>
    public static bool Verify(AccountId key, byte[] hash, DecoratedSignature signature) =>
        signature.Hint == key.Hint && signature.Signature.Length == 64 && KeyPair.Verify(key, hash, signature.Signature);

    /// <summary>
    /// Our signature on each hash, one after the other: computing a step's signatures on several
    /// cores made one channel's rounds 20 % faster but cost 36 % more CPU per round in thread
    /// wake-ups (BENCHMARKS.md), and a participant serving many channels is CPU-bound.
    /// </summary>
    public static ImmutableArray<DecoratedSignature> SignAll(KeyPair key, IReadOnlyList<byte[]> hashes)
    {
        var signatures = new DecoratedSignature[hashes.Count];
        for (var i = 0; i < signatures.Length; i++)
        {
            signatures[i] = Sign(key, hashes[i]);
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(signatures);
    }

    /// <summary>The index of the first signature that does not verify against its hash, or −1.</summary>
    public static int FirstInvalid(AccountId key, IReadOnlyList<byte[]> hashes, ImmutableArray<DecoratedSignature> signatures)
    {
        for (var i = 0; i < hashes.Count; i++)
        {
            if (!Verify(key, hashes[i], signatures[i]))
            {
                return i;
            }
        }

        return -1;
    }

    public static TransactionEnvelope Envelope(Transaction tx, IEnumerable<DecoratedSignature> signatures)
    {
        TransactionEnvelope envelope = new TransactionV1Envelope(tx, []);
        foreach (var s in signatures)
        {
            envelope = envelope.AddSignature(s);
        }

        return envelope;
    }
}
