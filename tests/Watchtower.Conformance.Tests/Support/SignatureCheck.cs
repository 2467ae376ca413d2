using System.Collections.Immutable;
using System.Text.Json.Nodes;
using Watchtower.Stellar;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>Checks signatures against their expected signers, given as StrKeys (G, X or P).</summary>
public static class SignatureCheck
{
    // Each signature must carry its signer's hint and be valid for it: ed25519 over the hash (G),
    // a preimage of the hash-x image (X), or ed25519 over the signed payload (P).
    public static IEnumerable<string> Verify(string what, ImmutableArray<DecoratedSignature> signatures, TransactionHash hash, JsonNode? signers)
    {
        var keys = signers?.AsArray().Select(s => SignerKey.Parse((string)s!)).ToList() ?? [];
        if (keys.Count != signatures.Length)
        {
            yield return $"{what}: {signatures.Length} signatures, the SDK signed with {keys.Count} signers";
            yield break;
        }

        for (var i = 0; i < keys.Count; i++)
        {
            var s = signatures[i];
            var (hint, valid) = keys[i] switch
            {
                Ed25519SignerKey k => (k.Key.Hint, KeyPair.Verify(k.Key, hash.Bytes, s.SignatureSpan)),
                HashXSignerKey k => (SignatureHint.OfKey(k.Hash.Bytes), Hash256.Sha256(s.SignatureSpan) == k.Hash),
                SignedPayloadSignerKey k => (k.Hint, KeyPair.Verify(k.Key, k.PayloadSpan, s.SignatureSpan)),
                var k => throw new InvalidOperationException($"unexpected signer {k}"),
            };
            if (s.Hint != hint)
            {
                yield return $"{what}[{i}]: hint {s.Hint}, C# expects {hint} for {keys[i]}";
            }

            if (!valid)
            {
                yield return $"{what}[{i}]: C# does not verify the SDK's signature by {keys[i]}";
            }
        }
    }
}
