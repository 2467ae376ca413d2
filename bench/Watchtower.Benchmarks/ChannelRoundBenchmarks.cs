using BenchmarkDotNet.Attributes;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Channels;

/// <summary>
/// Off-chain round throughput between two in-process participants (no ledger traffic): each
/// <see cref="CompletedRound"/> is one payment round, proposed by alternating sides, carried as
/// encoded frames over the in-process transport, validated, persisted (in memory) and final for
/// both. The baseline is the signature work that round cannot avoid for N = 2: each side signs
/// 2 snapshots + 2 ratchets + its own ratchet with its version key (10 signatures) and verifies
/// the other's 2 snapshot signatures and its signature on our ratchet (6 verifications).
/// </summary>
[MemoryDiagnoser]
public class ChannelRoundBenchmarks
{
    private static readonly DateTimeOffset Now = BenchChannel.Now;

    private ParticipantRuntime[] _runtimes = [];
    private KeyPair _signer = null!;
    private byte[][] _hashes = [];
    private byte[][] _signatures = [];
    private long _round;

    [GlobalSetup]
    public void Setup()
    {
        (var runtimes, var parameters) = BenchChannel.Runtimes([new DiscardingSink(), new DiscardingSink()]);
        _runtimes = runtimes;

        Run(RoundOutcome.Refunds(parameters), 0);

        _signer = KeyPair.Random();
        _hashes = [.. Enumerable.Range(0, 10).Select(i => System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(i)))];
        _signatures = [.. _hashes.Select(h => _signer.Sign(h))];
    }

    [Benchmark(Baseline = true, Description = "signatures of a round (10 sign + 6 verify)")]
    public int SignaturesOfARound()
    {
        var valid = 0;
        for (var i = 0; i < 10; i++)
        {
            valid += _signer.Sign(_hashes[i]).Length;
        }

        for (var i = 0; i < 6; i++)
        {
            valid += KeyPair.Verify(_signer.AccountId, _hashes[i], _signatures[i]) ? 1 : 0;
        }

        return valid;
    }

    [Benchmark(Description = "completed round, 2 participants")]
    public long CompletedRound()
    {
        var payer = (int)(_round % 2);
        var state = _runtimes[payer].State;
        Run(LocalChannelGroup.Payment(state, payer, 1 - payer, new Stroops(1)), payer);
        _round++;
        return _runtimes[1 - payer].State.Latest!.Round;
    }

    private void Run(RoundOutcome outcome, int proposer)
    {
        var error = _runtimes[proposer].ProposeAtAsync(outcome, closing: false, Now, CancellationToken.None).GetAwaiter().GetResult();
        if (error is not null)
        {
            throw new ProtocolException(error);
        }

        int handled;
        do
        {
            handled = _runtimes[0].DrainInboxAsync(Now, CancellationToken.None).GetAwaiter().GetResult()
                + _runtimes[1].DrainInboxAsync(Now, CancellationToken.None).GetAwaiter().GetResult();
        }
        while (handled > 0);

        if (_runtimes[0].State.Latest!.Round != _runtimes[1].State.Latest!.Round)
        {
            throw new InvalidOperationException("the round did not complete on both sides");
        }
    }

    private sealed class DiscardingSink : IBundleSink
    {
        public Task PublishAsync(ChannelBundle bundle, CancellationToken ct) => Task.CompletedTask;
    }
}
