using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Watchtower.Cli.Tx;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;

namespace Watchtower.Conformance.Tests;

/// <summary>
/// Fixed envelopes written by the official SDK (tests/oracle/make-vectors.js, checked in): we must
/// decode, re-encode, hash, describe and verify them exactly as recorded (edge cases included),
/// rebuild the channel protocol's own transactions (ratchet, snapshot, fee-bumped ratchet) byte for
/// byte, and reject the few the SDK decodes but stellar-core deems malformed.
/// </summary>
public sealed class EnvelopeVectorTests
{
    private static readonly JsonArray All = Vectors.Load("envelopes.json")["vectors"]!.AsArray();

    public static TheoryData<string> Accepted() => NamesWhere(v => v["reject"] is null);

    public static TheoryData<string> Rejected() => NamesWhere(v => v["reject"] is not null);

    public static TheoryData<string> Protocol() => NamesWhere(v => v["build"] is not null);

    private static TheoryData<string> NamesWhere(Func<JsonNode, bool> predicate)
    {
        var data = new TheoryData<string>();
        foreach (var v in All.Where(v => predicate(v!)))
        {
            data.Add((string)v!["name"]!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Rejected))]
    public void MalformedOnTheNetwork_IsRejectedWithXdrFormatException_ThoughTheSdkDecodesIt(string name)
        => Assert.ThrowsAny<XdrFormatException>(() => TransactionEnvelope.FromXdrBase64((string)Find(name)["xdr"]!));

    [Theory]
    [MemberData(nameof(Accepted))]
    public void SdkVector_DecodesReencodesHashesAndVerifiesAsRecorded(string name)
    {
        var v = Find(name);
        var xdr = (string)v["xdr"]!;
        var network = new Network((string)v["network"]!);
        var envelope = TransactionEnvelope.FromXdrBase64(xdr);
        Assert.Equal(xdr, envelope.ToXdrBase64());
        var diffs = JsonDiff.Diff(v["description"], JsonNode.Parse(EnvelopeJson.ToJson(envelope, network)));
        Assert.True(diffs.Count == 0, string.Join("\n", diffs));
        AssertSignedBy(envelope.Signatures, envelope.Hash(network), v["signers"]);
        if (envelope is FeeBumpEnvelope fb)
        {
            AssertSignedBy(fb.FeeBump.Inner.Signatures, fb.FeeBump.Inner.Hash(network), v["innerSigners"]);
        }
    }

    [Theory]
    [MemberData(nameof(Protocol))]
    public void ProtocolTransaction_BuiltWithOurBuilder_IsByteIdenticalToTheSdks(string name)
    {
        var v = Find(name);
        var build = v["build"]!;
        var network = new Network((string)build["network"]!);
        var envelope = (string)build["kind"]! switch
        {
            "ratchet" => Sign(Ratchet(build).BuildEnvelope(), network, build),
            "snapshot" => Sign(Snapshot(build).BuildEnvelope(), network, build),
            "feeBumpedRatchet" => FeeBumpedRatchet(build, network),
            var kind => throw new InvalidDataException($"unknown vector kind {kind}"),
        };
        Assert.Equal((string)v["xdr"]!, envelope.ToXdrBase64());
    }

    private static TransactionBuilder Ratchet(JsonNode b)
        => new TransactionBuilder(AccountId.Parse((string)b["source"]!), Sequence(b["sequence"]) - 1)
            .WithFee((uint)b["feePerOperation"]!)
            .WithTimeBounds(ulong.Parse((string)b["minTime"]!, CultureInfo.InvariantCulture), ulong.Parse((string)b["maxTime"]!, CultureInfo.InvariantCulture))
            .AddOperation(new BumpSequenceOperation(Sequence(b["bumpTo"])) { SourceAccount = AccountId.Parse((string)b["escrow"]!) });

    private static TransactionBuilder Snapshot(JsonNode b)
    {
        var builder = new TransactionBuilder(AccountId.Parse((string)b["source"]!), Sequence(b["sequence"]) - 1)
            .WithFee((uint)b["feePerOperation"]!)
            .WithTimeBounds(ulong.Parse((string)b["minTime"]!, CultureInfo.InvariantCulture), 0);
        foreach (var p in b["payments"]!.AsArray())
        {
            builder = builder.AddOperation(new PaymentOperation(AccountId.Parse((string)p!["destination"]!), Asset.Native, Stroops.Parse((string)p["amount"]!)));
        }

        if (b["setOptions"] is { } o)
        {
            var threshold = (uint)o["threshold"]!;
            builder = builder.AddOperation(new SetOptionsOperation(
                MasterWeight: (uint)o["masterWeight"]!,
                LowThreshold: threshold,
                MedThreshold: threshold,
                HighThreshold: threshold,
                Signer: new Signer(new Ed25519SignerKey(AccountId.Parse((string)o["signer"]!)), (uint)o["signerWeight"]!)));
        }

        return builder;
    }

    private static TransactionEnvelope FeeBumpedRatchet(JsonNode b, Network network)
    {
        var innerBuild = b["inner"]!;
        var inner = Sign(Ratchet(innerBuild).BuildEnvelope(), network, innerBuild);
        var perOp = (long)b["feePerOperation"]!;
        var ops = ((TransactionV1Envelope)inner).Transaction.Operations.Length;
        var bump = FeeBumpTransaction.Wrap(inner, AccountId.Parse((string)b["feeSource"]!), perOp * (ops + 1)).ToEnvelope();
        return Sign(bump, network, b);
    }

    private static TransactionEnvelope Sign(TransactionEnvelope envelope, Network network, JsonNode build)
    {
        foreach (var seed in build["signerSeeds"]!.AsArray())
        {
            envelope = envelope.Sign(network, KeyPair.FromSecret((string)seed!));
        }

        return envelope;
    }

    private static SequenceNumber Sequence(JsonNode? n) => SequenceNumber.Parse((string)n!);

    private static void AssertSignedBy(ImmutableArray<DecoratedSignature> signatures, TransactionHash hash, JsonNode? signers)
    {
        var problems = SignatureCheck.Verify("signatures", signatures, hash, signers).ToList();
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    private static JsonNode Find(string name) => All.Single(v => (string)v!["name"]! == name)!;
}
