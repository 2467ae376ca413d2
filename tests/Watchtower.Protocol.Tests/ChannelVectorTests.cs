using System.Text.Json;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Protocol.Tests;

/// <summary>
/// Vectors built with the official JavaScript SDK (@stellar/stellar-base 15.0.0, as in
/// tests/oracle, by make-channel-vectors.js): the same ratchets, snapshots and funding for a 3-party channel. Our
/// construction must be byte-identical, or the ledger would see other hashes than we signed.
/// Keys are ed25519 seeds of repeated bytes: wallet i = 10+i, version i = 20+i, ratchet i = 30+i.
/// </summary>
public class ChannelVectorTests
{
    private static readonly JsonElement Vectors = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Vectors", "channel-transactions.json"))).RootElement;

    private static KeyPair Key(int label) => KeyPair.FromSeed(new SecretSeed(Enumerable.Repeat((byte)label, 32).ToArray()));

    private static ChannelParameters Parameters()
    {
        var n = Vectors.GetProperty("participants").GetInt32();
        var setup = SequenceNumber.Parse(Vectors.GetProperty("setupSequence").GetString()!);
        var versions = Vectors.GetProperty("versionSequences").EnumerateArray().Select(v => SequenceNumber.Parse(v.GetString()!)).ToArray();
        var deposits = Vectors.GetProperty("deposits").EnumerateArray().Select(v => Stroops.Parse(v.GetString()!)).ToArray();
        var timeouts = new ChannelTimeouts(
            TimeSpan.FromDays(1),
            TimeSpan.FromSeconds(Vectors.GetProperty("timeoutClaim").GetInt64()),
            TimeSpan.FromSeconds(Vectors.GetProperty("timeoutClaimDelay").GetInt64()),
            TimeSpan.FromDays(2),
            TimeSpan.FromMinutes(1));
        return new ChannelParameters(
            new Network(Vectors.GetProperty("network").GetString()!),
            Key(30).AccountId,
            setup,
            setup + 2,
            [.. Enumerable.Range(0, n).Select(i => new ChannelParticipant(Key(10 + i).AccountId, Key(20 + i).AccountId, Key(30 + i).AccountId, versions[i], [new Deposit(Asset.Native, deposits[i])]))],
            timeouts,
            100,
            DateTimeOffset.FromUnixTimeSeconds(Vectors.GetProperty("openingDeadline").GetInt64())).Validated();
    }

    [Fact]
    public void RatchetsAndSnapshots_MatchTheJavaScriptSdkByteForByte()
    {
        var p = Parameters();
        var round = Vectors.GetProperty("round").GetInt64();
        var start = DateTimeOffset.FromUnixTimeSeconds(Vectors.GetProperty("start").GetInt64());
        var payouts = Vectors.GetProperty("payouts").EnumerateArray().Select(v => Stroops.Parse(v.GetString()!)).ToArray();
        var ratchets = Vectors.GetProperty("ratchets").EnumerateArray().ToArray();
        var snapshots = Vectors.GetProperty("snapshots").EnumerateArray().ToArray();
        for (var i = 0; i < p.Count; i++)
        {
            var ratchet = ChannelTransactions.Ratchet(p, round, i, start);
            Assert.Equal(ratchets[i].GetProperty("xdr").GetString(), ratchet.ToEnvelope().ToXdrBase64());
            Assert.Equal(ratchets[i].GetProperty("hash").GetString(), ratchet.Hash(p.Network).ToString());

            var snapshot = ChannelTransactions.Snapshot(p, round, i, start, closing: false, [new PaymentOperation(p.Participants[i].Wallet, Asset.Native, payouts[i])]);
            Assert.Equal(snapshots[i].GetProperty("xdr").GetString(), snapshot.ToEnvelope().ToXdrBase64());
            Assert.Equal(snapshots[i].GetProperty("hash").GetString(), snapshot.Hash(p.Network).ToString());
        }
    }

    [Fact]
    public void Funding_MatchesTheJavaScriptSdkByteForByte_IncludingItsOpeningDeadline()
    {
        var p = Parameters();
        var ours = ChannelTransactions.Funding(p);
        Assert.Equal(Vectors.GetProperty("funding").GetProperty("xdr").GetString(), ours.ToEnvelope().ToXdrBase64());
        Assert.Equal(Vectors.GetProperty("funding").GetProperty("hash").GetString(), ours.Hash(p.Network).ToString());
        Assert.Equal(new TimeBounds(0, ChannelTransactions.UnixSeconds(p.OpeningDeadline)), ours.Preconditions.TimeBounds);
    }
}
