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
