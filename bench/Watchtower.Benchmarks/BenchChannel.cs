using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Channels;

/// <summary>A funded two-party channel for off-chain benchmarks (no ledger behind it).</summary>
internal static class BenchChannel
{
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);

    private static (ParticipantKeys[] Keys, ChannelParameters Parameters) Create()
    {
        var keys = Enumerable.Range(0, 2).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random())).ToArray();
        var setup = SequenceNumber.FromLedger(7);
        var parameters = new ChannelParameters(
            Network.Testnet, keys[0].Ratchet.AccountId, setup, setup + 2,
            [.. keys.Select(k => new ChannelParticipant(k.Wallet.AccountId, k.Version.AccountId, k.Ratchet.AccountId, setup, [new Deposit(Asset.Native, Stroops.FromLumens(1_000_000))]))],
            new ChannelTimeouts(TimeSpan.FromDays(1), TimeSpan.FromDays(3), TimeSpan.FromDays(1), TimeSpan.FromDays(2), TimeSpan.FromMinutes(1)),
            100,
            Now.AddHours(1)).Validated();
        return (keys, parameters);
    }

    /// <summary>
    /// Both participants' runtimes over an in-process network, state kept in memory, funding taken
    /// as confirmed: the benchmarks measure rounds, not the ledger.
    /// </summary>
    public static (ParticipantRuntime[] Runtimes, ChannelParameters Parameters) Runtimes(IReadOnlyList<IBundleSink> sinks)
    {
        var (keys, parameters) = Create();
        var network = new InProcessNetwork(2);
        var runtimes = new ParticipantRuntime[2];
        for (var i = 0; i < 2; i++)
        {
            var state = ChannelProtocol.FundingConfirmed(ChannelState.Create(parameters, i));
            runtimes[i] = ParticipantRuntime.CreateAsync(keys[i], state, network.Connect(i), new NoLedger(), new InMemoryChannelStore(), sinks[i], CancellationToken.None).GetAwaiter().GetResult();
        }

        return (runtimes, parameters);
    }
}
