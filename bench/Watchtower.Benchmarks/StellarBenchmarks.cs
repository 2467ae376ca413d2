using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using NSec.Cryptography;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Benchmarks.Stellar;

/// <summary>The two transaction shapes a tower handles all day, built as the channel protocol builds them.</summary>
public static class ChannelTransactions
{
    public static readonly Network Network = Network.Testnet;

    public static KeyPair Key(byte label) => KeyPair.FromSeed(new SecretSeed(Enumerable.Repeat(label, 32).ToArray()));

    public static readonly KeyPair VersionAccount = Key(1);
    public static readonly KeyPair Escrow = Key(2);
    public static readonly ImmutableArray<KeyPair> RatchetKeys = [Key(3), Key(4)];

    /// <summary>Ratchet v_j: source the version account, one BUMP_SEQUENCE sourced at R, time bounds [M, M + TIMEOUT_CLAIM].</summary>
    public static TransactionEnvelope Ratchet() =>
        new TransactionBuilder(VersionAccount.AccountId, new SequenceNumber(81_604_378_624))
            .WithTimeBounds(1_764_000_000, 1_764_003_600)
            .AddOperation(new BumpSequenceOperation(new SequenceNumber(8_589_934_600)) { SourceAccount = Escrow.AccountId })
            .BuildEnvelope();

    /// <summary>Snapshot t_{j,1}: source R, two payments out and the SET_OPTIONS handing R back, minTime only.</summary>
    public static TransactionEnvelope Snapshot() =>
        new TransactionBuilder(Escrow.AccountId, new SequenceNumber(8_589_934_600))
            .WithFee(200)
            .WithTimeBounds(1_764_090_000, 0)
            .AddOperation(new PaymentOperation(VersionAccount.AccountId, Asset.Native, Stroops.Parse("1250.5")))
            .AddOperation(new PaymentOperation(RatchetKeys[0].AccountId, Asset.Native, Stroops.Parse("749.4999999")))
            .AddOperation(new SetOptionsOperation(MasterWeight: 0, LowThreshold: 2, MedThreshold: 2, HighThreshold: 2,
                Signer: new Signer(new Ed25519SignerKey(RatchetKeys[1].AccountId), 1)))
            .BuildEnvelope();

    /// <summary>Signed as in the protocol: the ratchet by its source and every ratchet key, the snapshot by the ratchet keys.</summary>
    public static TransactionEnvelope Signed(string kind)
    {
        var (envelope, signers) = kind == "ratchet"
            ? (Ratchet(), RatchetKeys.Insert(0, VersionAccount))
            : (Snapshot(), RatchetKeys);
        foreach (var k in signers)
        {
            envelope = envelope.Sign(Network, k);
        }

        return envelope;
    }
}

/// <summary>
/// Decode+hash, encode, sign and verify of the ratchet and snapshot transactions. Signing and
/// verifying are grouped with bare NSec ed25519 on a 32-byte hash as their baseline, so the Ratio
/// column is our overhead over the raw signature, measured in the same run.
/// </summary>
[MemoryDiagnoser]
[MinColumn]
[MedianColumn]
[Config(typeof(BenchConfig))]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory, BenchmarkLogicalGroupRule.ByParams)]
[CategoriesColumn]
public class StellarTransactionBenchmarks
{
    private TransactionEnvelope _signed = null!;
    private TransactionEnvelope _unsigned = null!;
    private byte[] _xdr = null!;
    private string _base64 = null!;
    private TransactionHash _hash;
    private DecoratedSignature _signature = null!;
    private KeyPair _signer = null!;
    private Key _nsecKey = null!;
    private PublicKey _nsecPublicKey = null!;
    private byte[] _hashBytes = null!;

    [Params("ratchet", "snapshot")]
    public string Kind { get; set; } = "ratchet";

    [GlobalSetup]
    public void Setup()
    {
        _signed = ChannelTransactions.Signed(Kind);
        _unsigned = Kind == "ratchet" ? ChannelTransactions.Ratchet() : ChannelTransactions.Snapshot();
        _xdr = _signed.ToXdr();
        _base64 = _signed.ToXdrBase64();
        _hash = _signed.Hash(ChannelTransactions.Network);
        _hashBytes = _hash.Bytes.ToArray();
        _signature = _signed.Signatures[^1];
        _signer = ChannelTransactions.RatchetKeys[1];
        _nsecKey = Key.Import(SignatureAlgorithm.Ed25519, _signer.Seed.Bytes, KeyBlobFormat.RawPrivateKey);
        _nsecPublicKey = _nsecKey.PublicKey;
    }

    [GlobalCleanup]
    public void Cleanup() => _nsecKey.Dispose();

    [Benchmark(Description = "decode+hash (XDR bytes)"), BenchmarkCategory("codec")]
    public TransactionHash DecodeAndHash() => XdrCodec.Decode<TransactionEnvelope>(_xdr).Hash(ChannelTransactions.Network);

    [Benchmark(Description = "decode+hash (base64)"), BenchmarkCategory("codec")]
    public TransactionHash DecodeBase64AndHash() => TransactionEnvelope.FromXdrBase64(_base64).Hash(ChannelTransactions.Network);

    [Benchmark(Description = "encode (XDR bytes)"), BenchmarkCategory("codec")]
    public byte[] Encode() => _signed.ToXdr();

    [Benchmark(Description = "bare NSec ed25519 sign (32 bytes)", Baseline = true), BenchmarkCategory("sign")]
    public byte[] BareSign() => SignatureAlgorithm.Ed25519.Sign(_nsecKey, _hashBytes);

    [Benchmark(Description = "sign envelope (hash + ed25519 + new envelope)"), BenchmarkCategory("sign")]
    public TransactionEnvelope Sign() => _unsigned.Sign(ChannelTransactions.Network, _signer);

    [Benchmark(Description = "bare NSec ed25519 verify", Baseline = true), BenchmarkCategory("verify")]
    public bool BareVerify() => SignatureAlgorithm.Ed25519.Verify(_nsecPublicKey, _hashBytes, _signature.SignatureSpan);

    // KeyPair.Verify imports the account's public key on every call; this isolates that cost.
    [Benchmark(Description = "NSec public key import"), BenchmarkCategory("verify")]
    public PublicKey ImportPublicKey() => PublicKey.Import(SignatureAlgorithm.Ed25519, _signer.AccountId.PublicKey, KeyBlobFormat.RawPublicKey);

    [Benchmark(Description = "verify one signature (KeyPair.Verify)"), BenchmarkCategory("verify")]
    public bool Verify() => KeyPair.Verify(_signer.AccountId, _hash.Bytes, _signature.SignatureSpan);
}

/// <summary>Short enough for a 2-core machine, long enough for stable means.</summary>
public sealed class BenchConfig : ManualConfig
{
    public BenchConfig() => AddJob(Job.Default.WithWarmupCount(3).WithIterationCount(10).WithLaunchCount(1));
}
