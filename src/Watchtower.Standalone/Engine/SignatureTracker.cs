using Watchtower.Stellar;

namespace Watchtower.Standalone.Engine;

/// <summary>
/// Verification outcomes of one envelope's signatures, kept with the transaction (like
/// stellar-core's signature cache) so they are verified once at submission and not again when
/// the ledger closes.
/// </summary>
internal sealed class SignatureMemo
{
    private readonly Dictionary<(int Signature, SignerKey Key), bool> _outcomes = new();

    public bool Verify(int index, SignerKey key, Func<bool> verify)
    {
        if (!_outcomes.TryGetValue((index, key), out var outcome))
        {
            outcome = verify();
            _outcomes[(index, key)] = outcome;
        }

        return outcome;
    }
}

/// <summary>
/// stellar-core's SignatureChecker: weighs a transaction's signatures against a signer list
/// (pre-auth tx, then hash-x, then ed25519, then signed payload, stopping as soon as the needed
/// weight is reached) and remembers which signatures were used, for txBAD_AUTH_EXTRA.
/// </summary>
internal sealed class SignatureTracker
{
    private readonly Hash256 _contentsHash;
    private readonly IReadOnlyList<DecoratedSignature> _signatures;
    private readonly SignatureMemo _memo;
    private readonly bool[] _used;

    public SignatureTracker(Hash256 contentsHash, IReadOnlyList<DecoratedSignature> signatures, SignatureMemo memo)
    {
        _contentsHash = contentsHash;
        _signatures = signatures;
        _memo = memo;
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

    /// <summary>Every signature of the envelope contributed to some check (stellar-core's checkAllSignaturesUsed).</summary>
    public bool AllSignaturesUsed => Array.TrueForAll(_used, u => u);

    public bool Check(IReadOnlyList<Signer> signers, int neededWeight)
    {
        var total = 0;
        foreach (var signer in signers)
        {
            if (signer.Key is PreAuthTxSignerKey preAuth && preAuth.Hash == _contentsHash)
            {
                total += Weight(signer);
                if (total >= neededWeight)
                {
                    return true;
                }
            }
        }

        return VerifyAll<HashXSignerKey>(signers, ref total, neededWeight)
            || VerifyAll<Ed25519SignerKey>(signers, ref total, neededWeight)
            || VerifyAll<SignedPayloadSignerKey>(signers, ref total, neededWeight);
    }

    private static int Weight(Signer signer) => (int)Math.Min(signer.Weight, 255u);

    /// <summary>Each signature counts for the first unmatched signer of this kind it verifies against.</summary>
    private bool VerifyAll<TKey>(IReadOnlyList<Signer> signers, ref int total, int neededWeight) where TKey : SignerKey
    {
        bool[]? matched = null;
        for (var i = 0; i < _signatures.Count; i++)
        {
            for (var j = 0; j < signers.Count; j++)
            {
                if (signers[j].Key is not TKey || (matched is not null && matched[j]) || !Verifies(i, signers[j].Key))
                {
                    continue;
                }

                _used[i] = true;
                total += Weight(signers[j]);
                if (total >= neededWeight)
                {
                    return true;
                }

                matched ??= new bool[signers.Count];
                matched[j] = true;
                break;
            }
        }

        return false;
    }

    private bool Verifies(int index, SignerKey key)
    {
        var sig = _signatures[index];
        return key switch
        {
            HashXSignerKey x => sig.Hint == SignatureHint.OfKey(x.Hash.Bytes)
                && _memo.Verify(index, key, () => Hash256.Sha256(sig.SignatureSpan) == x.Hash),
            Ed25519SignerKey ed => sig.Hint == ed.Key.Hint
                && _memo.Verify(index, key, () => KeyPair.Verify(ed.Key, _contentsHash.Bytes, sig.SignatureSpan)),
            SignedPayloadSignerKey sp => sig.Hint == sp.Hint
                && _memo.Verify(index, key, () => KeyPair.Verify(sp.Key, sp.PayloadSpan, sig.SignatureSpan)),
            _ => false,
        };
    }
}
