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
    /// Our signature on each hash. A step's signatures are independent and dominate a round's
    /// latency, so with more than one core they are computed in parallel.
    /// </summary>
    public static ImmutableArray<DecoratedSignature> SignAll(KeyPair key, IReadOnlyList<byte[]> hashes)
    {
        var signatures = new DecoratedSignature[hashes.Count];
        ForEach(hashes.Count, i => signatures[i] = Sign(key, hashes[i]));
        return ImmutableCollectionsMarshal.AsImmutableArray(signatures);
    }

    /// <summary>The index of the first signature that does not verify against its hash, or −1 (verified in parallel like <see cref="SignAll"/>).</summary>
    public static int FirstInvalid(AccountId key, IReadOnlyList<byte[]> hashes, ImmutableArray<DecoratedSignature> signatures)
    {
        var valid = new bool[hashes.Count];
        ForEach(hashes.Count, i => valid[i] = Verify(key, hashes[i], signatures[i]));
        return Array.IndexOf(valid, false);
    }

    private static void ForEach(int count, Action<int> body)
    {
        if (count < 2 || Environment.ProcessorCount < 2)
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }

            return;
        }

        Parallel.For(0, count, body);
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
