using System.Collections.Immutable;
using Xunit;

namespace Watchtower.Stellar.Tests;

public class SignatureTests
{
    private static readonly KeyPair A = VectorFile.Key(1);
    private static readonly KeyPair B = VectorFile.Key(2);
    private static readonly KeyPair C = VectorFile.Key(3);

    public static TheoryData<string[]> Hints => VectorFile.Theory("hints.txt");

    private static TransactionV1Envelope Envelope()
        => new TransactionBuilder(A.AccountId, new SequenceNumber(41))
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(100)))
            .BuildEnvelope();

    private static TransactionHash HashOf(TransactionEnvelope e) => e.Hash(Network.Standalone);

    [Theory]
    [MemberData(nameof(Hints))]
    public void Hint_MatchesTheJsSdk(string[] row)
    {
        var account = AccountId.Parse(row[1]);
        var expected = row[3];
        if (row[0] == "ed25519")
        {
            Assert.Equal(expected, Convert.ToHexStringLower(account.Hint.ToArray()));
            return;
        }

        var payload = Convert.FromHexString(row[2]);
        Assert.Equal(expected, Convert.ToHexStringLower(new SignedPayloadSignerKey(account, payload).Hint.ToArray()));
        var kp = new[] { A, B, C }.Single(k => k.AccountId == account);
        Assert.Equal(expected, Convert.ToHexStringLower(kp.SignPayloadDecorated(payload).Hint.ToArray()));
    }

    [Fact]
    public void Ed25519Signatures_VerifyOnlyForTheSignedDataAndKey()
    {
        var sig = A.Sign("data"u8);
        Assert.Equal(64, sig.Length);
        Assert.True(KeyPair.Verify(A.AccountId, "data"u8, sig));
        Assert.False(KeyPair.Verify(A.AccountId, "datA"u8, sig));
        Assert.False(KeyPair.Verify(B.AccountId, "data"u8, sig));
        Assert.False(KeyPair.Verify(A.AccountId, "data"u8, sig.AsSpan(0, 63)));
    }

    [Fact]
    public void Verification_IsStrict_RejectingANonCanonicalS()
    {
        // S' = S + L is accepted by lax verifiers; libsodium (and so stellar-core) rejects it.
        var sig = A.Sign("data"u8);
        var l = new System.Numerics.BigInteger(Convert.FromHexString("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010"), isUnsigned: true);
        var s = new System.Numerics.BigInteger(sig.AsSpan(32), isUnsigned: true);
        var sPlusL = (s + l).ToByteArray(isUnsigned: true);
        Assert.True(sPlusL.Length <= 32); // S < L < 2^253, so S + L always fits the 32-byte field.

        var forged = (byte[])sig.Clone();
        Array.Clear(forged, 32, 32);
        sPlusL.CopyTo(forged, 32);
        Assert.False(KeyPair.Verify(A.AccountId, "data"u8, forged));
    }

    [Fact]
    public void Verification_RejectsASmallOrderPublicKey()
    {
        // The identity point as a public key with an all-zero-R signature would satisfy a lax verifier.
        var identity = new byte[32];
        identity[0] = 1;
        var sig = new byte[64];
        sig[0] = 1;
        Assert.False(KeyPair.Verify(new AccountId(identity), "anything"u8, sig));
    }

    [Fact]
    public void Checker_SingleEd25519Signer_MeetsItsThreshold()
    {
        var env = Envelope().Sign(Network.Standalone, A);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), []);
        Assert.True(checker.CheckSignature(signers, 1));
        Assert.True(checker.CheckAllSignaturesUsed());
    }

    [Fact]
    public void Checker_WithASharedCache_VerifiesEachSignatureOnceAndReusesTheOutcome()
    {
        var env = Envelope().Sign(Network.Standalone, A);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), [new Signer(new Ed25519SignerKey(B.AccountId), 1)]);
        var cache = new SignatureVerificationCache();
        Assert.True(new SignatureChecker(HashOf(env), env.Signatures, cache).CheckSignature(signers, 1));
        var kept = cache.Count;
        Assert.True(kept > 0);

        // A later checker (e.g. at apply) answers from the cache: no new verification, same outcome.
        var again = new SignatureChecker(HashOf(env), env.Signatures, cache);
        Assert.True(again.CheckSignature(signers, 1));
        Assert.True(again.CheckAllSignaturesUsed());
        Assert.Equal(kept, cache.Count);

        // The outcome is taken as verified: proof that the signature is not checked again.
        var tampered = env.Signatures[0].SignatureSpan.ToArray();
        tampered[0] ^= 1;
        var forged = ImmutableArray.Create(new DecoratedSignature(env.Signatures[0].Hint, tampered));
        Assert.True(new SignatureChecker(HashOf(env), forged, cache).CheckSignature(signers, 1));
        Assert.False(new SignatureChecker(HashOf(env), forged).CheckSignature(signers, 1));
    }

    [Fact]
    public void Checker_InsufficientWeight_Fails()
    {
        var env = Envelope().Sign(Network.Standalone, A);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), [new Signer(new Ed25519SignerKey(B.AccountId), 1)]);
        Assert.False(checker.CheckSignature(signers, 2));
        var both = new SignatureChecker(HashOf(env), env.Sign(Network.Standalone, B).Signatures);
        Assert.True(both.CheckSignature(signers, 2));
    }

    [Fact]
    public void Checker_MasterWeightZero_DisablesTheMasterKey()
    {
        var env = Envelope().Sign(Network.Standalone, A);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(0, 0, 0, 0), []);
        Assert.Empty(signers);
        Assert.False(checker.CheckSignature(signers, 0));
        Assert.False(checker.CheckAllSignaturesUsed());
    }

    [Fact]
    public void Checker_UnusedSignature_IsBadAuthExtra()
    {
        var env = Envelope().Sign(Network.Standalone, A).Sign(Network.Standalone, B);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        Assert.True(checker.CheckSignature(SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 1, 1, 1), []), 1));
        Assert.False(checker.CheckAllSignaturesUsed());
        Assert.Equal([true, false], checker.UsedSignatures);
    }

    [Fact]
    public void Checker_RemembersUsedSignaturesAcrossChecks()
    {
        // Like stellar-core: the tx source check uses A's signature, an operation's source check uses B's.
        var env = Envelope().Sign(Network.Standalone, A).Sign(Network.Standalone, B);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        Assert.True(checker.CheckSignature(SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), []), 0));
        Assert.True(checker.CheckSignature(SignatureChecker.AccountSigners(B.AccountId, new Thresholds(1, 0, 0, 0), []), 1));
        Assert.True(checker.CheckAllSignaturesUsed());
    }

    [Fact]
    public void Checker_ASignerCountsOnce_EvenWithDuplicateSignatures()
    {
        var once = Envelope().Sign(Network.Standalone, A);
        var twice = once.AddSignature(once.Signatures[0]);
        var checker = new SignatureChecker(HashOf(twice), twice.Signatures);
        Assert.False(checker.CheckSignature(SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), []), 2));
        Assert.False(checker.CheckAllSignaturesUsed());
    }

    [Fact]
    public void Checker_CapsSignerWeightsAt255()
    {
        var env = Envelope().Sign(Network.Standalone, B);
        var signers = ImmutableArray.Create(new Signer(new Ed25519SignerKey(B.AccountId), 1000));
        Assert.False(new SignatureChecker(HashOf(env), env.Signatures).CheckSignature(signers, 256));
        Assert.True(new SignatureChecker(HashOf(env), env.Signatures).CheckSignature(signers, 255));
        Assert.Equal(255, SignatureVerifier.Weight(signers, HashOf(env).Bytes, env.Signatures));
    }

    [Fact]
    public void Checker_PreAuthTxSigner_NeedsNoSignature()
    {
        var env = Envelope();
        var hash = HashOf(env);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(0, 0, 0, 0), [new Signer(new PreAuthTxSignerKey(hash.Value), 1)]);
        var checker = new SignatureChecker(hash, env.Signatures);
        Assert.True(checker.CheckSignature(signers, 1));
        Assert.True(checker.CheckAllSignaturesUsed());

        var otherHash = new SignatureChecker(new TransactionHash(new byte[32]), env.Signatures);
        Assert.False(otherHash.CheckSignature(signers, 1));
    }

    [Fact]
    public void Checker_HashXSigner_IsSatisfiedByThePreimage()
    {
        var preimage = "the secret preimage"u8.ToArray();
        var key = new HashXSignerKey(Hash256.Sha256(preimage));
        var env = Envelope().AddSignature(DecoratedSignature.ForHashX(preimage));
        Assert.Equal(SignatureHint.OfKey(key.Hash.Bytes), env.Signatures[0].Hint);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(0, 0, 0, 0), [new Signer(key, 1)]);
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        Assert.True(checker.CheckSignature(signers, 1));
        Assert.True(checker.CheckAllSignaturesUsed());

        var wrong = Envelope().AddSignature(new DecoratedSignature(SignatureHint.OfKey(key.Hash.Bytes), "not it"u8.ToArray()));
        Assert.False(new SignatureChecker(HashOf(wrong), wrong.Signatures).CheckSignature(signers, 1));
    }

    [Fact]
    public void Checker_SignedPayloadSigner_IsSatisfiedByASignatureOverThePayload()
    {
        var payload = new byte[] { 1, 2, 3, 4, 5, 6 };
        var key = new SignedPayloadSignerKey(C.AccountId, payload);
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(0, 0, 0, 0), [new Signer(key, 2)]);
        var env = Envelope().AddSignature(C.SignPayloadDecorated(payload));
        var checker = new SignatureChecker(HashOf(env), env.Signatures);
        Assert.True(checker.CheckSignature(signers, 2));
        Assert.True(checker.CheckAllSignaturesUsed());

        // C's ordinary signature of the transaction hash does not satisfy the signed-payload signer.
        var plain = Envelope().Sign(Network.Standalone, C);
        Assert.False(new SignatureChecker(HashOf(plain), plain.Signatures).CheckSignature(signers, 1));
    }

    [Fact]
    public void Checker_ASignatureWithTheWrongHint_IsNotConsidered()
    {
        var env = Envelope();
        var sig = A.Sign(HashOf(env).Bytes);
        var misHinted = env.AddSignature(new DecoratedSignature(B.AccountId.Hint, sig));
        var checker = new SignatureChecker(HashOf(misHinted), misHinted.Signatures);
        Assert.False(checker.CheckSignature(SignatureChecker.AccountSigners(A.AccountId, new Thresholds(1, 0, 0, 0), []), 1));
    }

    [Fact]
    public void Checker_CombinesEverySignerKind()
    {
        var preimage = "x"u8.ToArray();
        var payload = new byte[] { 9 };
        var env = Envelope();
        var hash = HashOf(env);
        var signed = env.Sign(Network.Standalone, B).AddSignature(DecoratedSignature.ForHashX(preimage)).AddSignature(C.SignPayloadDecorated(payload));
        var signers = SignatureChecker.AccountSigners(A.AccountId, new Thresholds(0, 0, 0, 0),
        [
            new Signer(new PreAuthTxSignerKey(hash.Value), 1),
            new Signer(new HashXSignerKey(Hash256.Sha256(preimage)), 10),
            new Signer(new Ed25519SignerKey(B.AccountId), 100),
            new Signer(new SignedPayloadSignerKey(C.AccountId, payload), 50),
        ]);
        Assert.Equal(161, SignatureVerifier.Weight(signers, hash.Bytes, signed.Signatures));
        var checker = new SignatureChecker(hash, signed.Signatures);
        Assert.True(checker.CheckSignature(signers, 161));
        Assert.True(checker.CheckAllSignaturesUsed());
        Assert.False(new SignatureChecker(hash, signed.Signatures).CheckSignature(signers, 162));
    }
}
