using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// stellar-core's SignatureChecker: weighs a transaction's signatures against a signer list
/// (pre-auth tx, then hash-x, then ed25519, then signed payload, stopping as soon as the needed
/// weight is reached) and remembers which signatures were used, for txBAD_AUTH_EXTRA.
/// </summary>
internal sealed class SignatureTracker
{
    private readonly Hash256 _contentsHash;
    private readonly IReadOnlyList<DecoratedSignature> _signatures;
    private readonly bool[] _used;

    public SignatureTracker(Hash256 contentsHash, IReadOnlyList<DecoratedSignature> signatures)
    {
        _contentsHash = contentsHash;
        _signatures = signatures;
        _used = new bool[signatures.Count];
    }

    /// <summary>The signers of an account as core sees them: the master key (when its weight is non-zero) and the listed signers.</summary>
    public static List<Signer> SignersOf(AccountState account)
    {
        var signers = new List<Signer>(account.Signers.Length + 1);
        if (account.Thresholds.Master != 0)
        {
            signers.Add(new Signer(new Ed25519SignerKey(account.Id), account.Thresholds.Master));
        }

        signers.AddRange(account.Signers);
        return signers;
    }

    public bool Check(IReadOnlyList<Signer> signers, int neededWeight)
    {
        var total = 0;
        foreach (var signer in signers)
        {
            if (signer.Key is PreAuthTxSignerKey preAuth && preAuth.Hash == _contentsHash)
            {
                total += (int)Math.Min(signer.Weight, 255u);
                if (total >= neededWeight)
                {
                    return true;
                }
            }
        }

        return VerifyAll(signers.Where(s => s.Key is HashXSignerKey).ToList(), VerifyHashX, ref total, neededWeight)
            || VerifyAll(signers.Where(s => s.Key is Ed25519SignerKey).ToList(), VerifyEd25519, ref total, neededWeight)
            || VerifyAll(signers.Where(s => s.Key is SignedPayloadSignerKey).ToList(), VerifySignedPayload, ref total, neededWeight);
    }

    /// <summary>Every signature of the envelope contributed to some check (stellar-core's checkAllSignaturesUsed).</summary>
    public bool AllSignaturesUsed => _used.All(u => u);

    private bool VerifyAll(List<Signer> candidates, Func<DecoratedSignature, SignerKey, bool> verify, ref int total, int neededWeight)
    {
        if (candidates.Count == 0)
        {
            return false;
        }

        for (var i = 0; i < _signatures.Count; i++)
        {
            for (var j = 0; j < candidates.Count; j++)
            {
                if (!verify(_signatures[i], candidates[j].Key))
                {
                    continue;
                }

                _used[i] = true;
                total += (int)Math.Min(candidates[j].Weight, 255u);
                if (total >= neededWeight)
                {
                    return true;
                }

                candidates.RemoveAt(j);
                break;
            }
        }

        return false;
    }

    private static bool VerifyHashX(DecoratedSignature sig, SignerKey key)
    {
        var hashX = ((HashXSignerKey)key).Hash;
        return sig.Hint == SignatureHint.OfKey(hashX.Bytes) && Hash256.Sha256(sig.SignatureSpan) == hashX;
    }

    private bool VerifyEd25519(DecoratedSignature sig, SignerKey key)
    {
        var account = ((Ed25519SignerKey)key).Key;
        return sig.Hint == account.Hint && KeyPair.Verify(account, _contentsHash.Bytes, sig.SignatureSpan);
    }

    private static bool VerifySignedPayload(DecoratedSignature sig, SignerKey key)
    {
        var payloadKey = (SignedPayloadSignerKey)key;
        return sig.Hint == payloadKey.Hint && KeyPair.Verify(payloadKey.Key, payloadKey.PayloadSpan, sig.SignatureSpan);
    }
}
