using System.Collections.Immutable;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>Sums the weight of the signers that signed a transaction hash (each signer counted once).</summary>
internal static class SignatureWeight
{
    public static int Of(ImmutableArray<Signer> signers, TransactionHash hash, ImmutableArray<DecoratedSignature> signatures)
    {
        var total = 0;
        foreach (var signer in signers)
        {
            var signed = signer.Key switch
            {
                Ed25519SignerKey ed => signatures.Any(s => s.Hint == ed.Key.Hint && KeyPair.Verify(ed.Key, hash.Bytes, s.SignatureSpan)),
                PreAuthTxSignerKey pre => pre.Hash.Bytes.SequenceEqual(hash.Bytes),
                _ => false,
            };
            if (signed)
            {
                total += (int)Math.Min(signer.Weight, 255u);
            }
        }
        return total;
    }
}
