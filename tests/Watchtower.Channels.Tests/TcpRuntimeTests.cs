using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Channels.Tests;

public class TcpRuntimeTests
{
    [Fact]
    public async Task TwoRuntimesOverLoopbackTcp_CompleteRoundsAndRefuseGarbage()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var h = new ProtocolHarness(2);
        await using var pair = await TransportTests.TcpPair.StartAsync();
        // The links prove the wallet keys; the runtimes use their own participant keys.
        var alice = await ParticipantRuntime.CreateAsync(h.Keys[0], ChannelProtocol.FundingConfirmed(h.States[0]), pair.A, new NoLedger(), new InMemoryChannelStore(), new RecordingBundleSink(), cts.Token);
        var bob = await ParticipantRuntime.CreateAsync(h.Keys[1], ChannelProtocol.FundingConfirmed(h.States[1]), pair.B, new NoLedger(), new InMemoryChannelStore(), new RecordingBundleSink(), cts.Token);

        // Funding is taken as confirmed (no ledger here). Round 0: proposal + snapshot signatures,
        // the answer (snapshot + ratchet signatures), the last ratchet signatures.
        Assert.Null(await alice.ProposeAtAsync(RoundOutcome.Refunds(h.Parameters), false, h.Now, cts.Token));
        await ReceiveAsync(bob, 2, h.Now, cts.Token);
        await ReceiveAsync(alice, 2, h.Now, cts.Token);
        await ReceiveAsync(bob, 1, h.Now, cts.Token);
        Assert.Equal(0, bob.State.Latest!.Round);

        Assert.Null(await bob.ProposeAtAsync(h.Balances(130, 70), false, h.Now, cts.Token));
        await ReceiveAsync(alice, 2, h.Now, cts.Token);
        await ReceiveAsync(bob, 2, h.Now, cts.Token);
        await ReceiveAsync(alice, 1, h.Now, cts.Token);
        Assert.Equal(1, alice.State.Latest!.Round);
        Assert.Equal(1, bob.State.Latest!.Round);

        await pair.A.SendAsync(1, new byte[] { 1, 9, 9 }, cts.Token);
        await bob.ReceiveOneAsync(h.Now, cts.Token);
        Assert.Equal(ProtocolErrorCode.MalformedMessage, bob.Errors[^1].Code);
        Assert.Equal(1, bob.State.Latest!.Round);
    }

    private static async Task ReceiveAsync(ParticipantRuntime runtime, int frames, DateTimeOffset now, CancellationToken ct)
    {
        for (var k = 0; k < frames; k++)
        {
            await runtime.ReceiveOneAsync(now, ct);
        }

        Assert.Empty(runtime.Errors);
    }
}
