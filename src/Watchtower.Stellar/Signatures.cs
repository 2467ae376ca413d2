using System.Collections.Immutable;

namespace Watchtower.Stellar;

/// <summary>
/// Checks signatures against signer sets the way stellar-core's SignatureChecker does (protocol ≥ 10):
/// pre-auth tx signers first (no signature needed: the key is the transaction hash), then hash-x,
/// ed25519 and signed-payload signers; each signature and each signer counts at most once per check;
/// signer weights are capped at 255. It remembers which signatures were used across checks so that
/// <see cref="CheckAllSignaturesUsed"/> detects txBAD_AUTH_EXTRA.
/// </summary>
public sealed class SignatureChecker
{
    private readonly Hash256 _contentsHash;
    private readonly ImmutableArray<DecoratedSignature> _signatures;
    private readonly bool[] _used;
    private readonly SignatureVerificationCache? _cache;

    public SignatureChecker(TransactionHash contentsHash, ImmutableArray<DecoratedSignature> signatures)
        : this(contentsHash, signatures, cache: null)
    {
    }

    /// <summary>
    /// A checker that takes verification outcomes from <paramref name="cache"/> and adds new ones to it, so
    /// checkers built later for the same hash and signatures (e.g. at submission, then when applying)
    /// verify each signature against each key only once.
    /// </summary>
    public SignatureChecker(TransactionHash contentsHash, ImmutableArray<DecoratedSignature> signatures, SignatureVerificationCache? cache)
    {
        _contentsHash = contentsHash.Value;
        _signatures = signatures.IsDefault ? [] : signatures;
        _used = new bool[_signatures.Length];
        _cache = cache;
    }

    /// <summary>Which signatures have satisfied a signer so far, by index.</summary>
    public IReadOnlyList<bool> UsedSignatures => _used;

    /// <summary>
    /// The signers stellar-core checks for an account: the master key (only when its weight is
    /// non-zero) followed by the account's signers.
    /// </summary>
    public static ImmutableArray<Signer> AccountSigners(AccountId account, Thresholds thresholds, IEnumerable<Signer> signers)
    {
        ArgumentNullException.ThrowIfNull(signers);
        var builder = ImmutableArray.CreateBuilder<Signer>();
        if (thresholds.Master != 0)
        {
            builder.Add(new Signer(new Ed25519SignerKey(account), thresholds.Master));
        }

        builder.AddRange(signers);
        return builder.ToImmutable();
    }

    /// <summary>True when the signatures (and matching pre-auth signers) reach <paramref name="neededWeight"/>.</summary>
    public bool CheckSignature(IReadOnlyList<Signer> signers, int neededWeight)
    {
        ArgumentNullException.ThrowIfNull(signers);
        var hashX = new List<Signer>();
        var ed25519 = new List<Signer>();
        var signedPayload = new List<Signer>();
        var total = 0;

        for (var i = 0; i < signers.Count; i++)
        {
            var signer = signers[i];
            switch (signer.Key)
            {
                case PreAuthTxSignerKey preAuth when preAuth.Hash == _contentsHash:
                    total += CappedWeight(signer);
                    if (total >= neededWeight)
                    {
                        return true;
                    }

                    break;
                case HashXSignerKey:
                    hashX.Add(signer);
                    break;
                case Ed25519SignerKey:
                    ed25519.Add(signer);
                    break;
                case SignedPayloadSignerKey:
                    signedPayload.Add(signer);
                    break;
            }
        }

        return VerifyAll(hashX, ref total, neededWeight)
               || VerifyAll(ed25519, ref total, neededWeight)
               || VerifyAll(signedPayload, ref total, neededWeight);
    }

    /// <summary>False when some signature satisfied no signer in any check (txBAD_AUTH_EXTRA).</summary>
    public bool CheckAllSignaturesUsed() => Array.TrueForAll(_used, u => u);

    private bool VerifyAll(List<Signer> signers, ref int total, int neededWeight)
    {
        for (var i = 0; i < _signatures.Length; i++)
        {
            var sig = _signatures[i];
            for (var s = 0; s < signers.Count; s++)
            {
                if (!Verifies(i, sig, signers[s].Key))
                {
                    continue;
                }

                _used[i] = true;
                total += CappedWeight(signers[s]);
                if (total >= neededWeight)
                {
                    return true;
                }

                signers.RemoveAt(s);
                break;
            }
        }

        return false;
    }

    private bool Verifies(int index, DecoratedSignature signature, SignerKey key) =>
        _cache is null
            ? Satisfies(signature, key, _contentsHash)
            : _cache.GetOrVerify(index, key, () => Satisfies(signature, key, _contentsHash));

    private static int CappedWeight(Signer signer) => (int)Math.Min(signer.Weight, byte.MaxValue);

    /// <summary>Whether one decorated signature satisfies one (non pre-auth) signer key for a transaction hash.</summary>
    public static bool Satisfies(DecoratedSignature signature, SignerKey key, Hash256 contentsHash)
    {
        ArgumentNullException.ThrowIfNull(signature);
        switch (key)
        {
            case HashXSignerKey hashX:
                return signature.Hint == SignatureHint.OfKey(hashX.Hash.Bytes)
                       && Hash256.Sha256(signature.SignatureSpan) == hashX.Hash;
            case Ed25519SignerKey ed:
                return signature.Hint == ed.Key.Hint
                       && KeyPair.Verify(ed.Key, contentsHash.Bytes, signature.SignatureSpan);
            case SignedPayloadSignerKey payload:
                return signature.Hint == payload.Hint
                       && KeyPair.Verify(payload.Key, payload.PayloadSpan, signature.SignatureSpan);
            default:
                return false;
        }
    }
}

/// <summary>
/// Outcomes of verifying one list of signatures (by index) against signer keys, for one contents hash:
/// like stellar-core's signature cache, it spares verifying the same signature twice. Use one cache per
/// (hash, signatures) pair. Not thread-safe.
/// </summary>
public sealed class SignatureVerificationCache
{
    private readonly Dictionary<(int Signature, SignerKey Key), bool> _outcomes = new();

    /// <summary>How many outcomes are kept.</summary>
    public int Count => _outcomes.Count;

    internal bool GetOrVerify(int signatureIndex, SignerKey key, Func<bool> verify)
    {
        if (!_outcomes.TryGetValue((signatureIndex, key), out var outcome))
        {
            outcome = verify();
            _outcomes[(signatureIndex, key)] = outcome;
        }

        return outcome;
    }
}

/// <summary>Stateless signature weight helpers.</summary>
public static class SignatureVerifier
{
    /// <summary>
    /// The total (255-capped) weight of the distinct signers satisfied by the signatures, counting
    /// pre-auth signers whose key is the transaction hash.
    /// </summary>
    public static int Weight(IEnumerable<Signer> signers, ReadOnlySpan<byte> txHash, IEnumerable<DecoratedSignature> signatures)
    {
        ArgumentNullException.ThrowIfNull(signers);
        ArgumentNullException.ThrowIfNull(signatures);
        var hash = new Hash256(txHash);
        var sigs = signatures as IReadOnlyList<DecoratedSignature> ?? [.. signatures];
        var total = 0;
        foreach (var signer in signers)
        {
            var satisfied = signer.Key is PreAuthTxSignerKey preAuth
                ? preAuth.Hash == hash
                : AnySatisfies(sigs, signer.Key, hash);
            if (satisfied)
            {
                total += (int)Math.Min(signer.Weight, byte.MaxValue);
            }
        }

        return total;
    }

    private static bool AnySatisfies(IReadOnlyList<DecoratedSignature> signatures, SignerKey key, Hash256 hash)
    {
        for (var i = 0; i < signatures.Count; i++)
        {
            if (SignatureChecker.Satisfies(signatures[i], key, hash))
            {
                return true;
            }
        }

        return false;
    }
}
