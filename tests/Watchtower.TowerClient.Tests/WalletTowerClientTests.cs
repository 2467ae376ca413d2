using System.Threading.Channels;
using MassTransit;
using Microsoft.Extensions.Time.Testing;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Contracts.Tests.Support;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.TowerClient.Tests;

/// <summary>
/// The wallet's tower client against a scripted tower on the in-memory bus: it answers each upload
/// as the test says (receipt, refusal, or silence). Backoff waits run on a fake clock the test moves.
/// </summary>
public sealed class WalletTowerClientTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private static readonly TowerClientOptions Options = new()
    {
        RequestTimeout = TimeSpan.FromMilliseconds(300),
        FirstRetry = TimeSpan.FromSeconds(1),
        MaxRetry = TimeSpan.FromSeconds(4),
    };

    private readonly TestChannel _channel = new();
    private readonly KeyPair _towerReceipt = KeyPair.Random();
    private readonly TowerSealingKey _towerSealing = TowerSealingKey.Generate();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1_800_000_000));
    private readonly Channel<UploadOutcome> _outcomes = Channel.CreateUnbounded<UploadOutcome>();
    private readonly List<ulong> _received = [];
    private readonly List<RegisterSubscription> _registered = [];
    private readonly Channel<RenewSubscription> _renewed = Channel.CreateUnbounded<RenewSubscription>();
    private readonly Guid _subscription = Guid.NewGuid();
    private IBusControl _bus = null!;
    private WalletTowerClient _client = null!;

    /// <summary>How the tower answers an upload: a message to respond with, or null for silence.</summary>
    private Func<SealedBundle, object?> _tower = _ => null;

    public async Task InitializeAsync()
    {
        _bus = MassTransit.Bus.Factory.CreateUsingInMemory(cfg =>
        {
            cfg.ReceiveEndpoint("uploads", e => e.Handler<UploadBundle>(async context =>
            {
                var sealedBundle = SealedBundle.Parse(context.Message.SealedBundle);
                lock (_received)
                {
                    _received.Add(sealedBundle.Round);
                }

                if (_tower(sealedBundle) is { } answer)
                {
                    await context.RespondAsync(answer);
                }
            }));
            cfg.ReceiveEndpoint("subscriptions", e => e.Handler<RegisterSubscription>(context =>
            {
                lock (_registered)
                {
                    _registered.Add(context.Message);
                }

                return Task.CompletedTask;
            }));
            cfg.ReceiveEndpoint("renewals", e => e.Handler<RenewSubscription>(context => _renewed.Writer.WriteAsync(context.Message).AsTask()));
        });
        await _bus.StartAsync();
        var address = new TowerAddress(_towerReceipt.AccountId, _towerSealing.PublicKey, new Uri("queue:subscriptions"), new Uri("queue:uploads"));
        _client = new WalletTowerClient(_bus, address, _subscription, _channel.WalletIdentity, _time, Options, o => _outcomes.Writer.TryWrite(o));
    }

    public async Task DisposeAsync()
    {
        await _client.DisposeAsync();
        await _bus.StopAsync();
        _towerSealing.Dispose();
    }

    [Fact]
    public async Task TowerSilent_RetriesWithDoublingBackoffCappedAtTheMaximum_ThenTheReceiptVerifies()
    {
        _client.Queue(Sealed(1));

        foreach (var seconds in new[] { 1, 2, 4, 4 })
        {
            var silent = await NextAsync();
            Assert.Equal(UploadStatus.Unreachable, silent.Status);
            Assert.Equal(TimeSpan.FromSeconds(seconds), silent.RetryIn);
            if (seconds == 4 && Received().Length == 4)
            {
                // The fourth silence: the tower answers the next attempt.
                _tower = Accept(_towerReceipt);
            }

            _time.Advance(TimeSpan.FromSeconds(seconds));
        }

        var accepted = await NextAsync();

        Assert.Equal(UploadStatus.Accepted, accepted.Status);
        Assert.Equal(1UL, accepted.Round);
        Assert.Equal(_channel.ChannelId(), accepted.Receipt!.ChannelId);
        Assert.Null(accepted.RetryIn);
        Assert.Equal([1UL, 1UL, 1UL, 1UL, 1UL], Received());
    }

    [Fact]
    public async Task NewerRound_ReplacesTheQueuedOlderOne_WhileTheTowerIsUnreachable()
    {
        _client.Queue(Sealed(1));
        Assert.Equal(UploadStatus.Unreachable, (await NextAsync()).Status);

        _client.Queue(Sealed(2));
        _client.Queue(Sealed(1));
        _tower = Accept(_towerReceipt);
        _time.Advance(Options.FirstRetry);
        var accepted = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal((UploadStatus.Accepted, 2UL), (accepted.Status, accepted.Round));
        Assert.Equal([1UL, 2UL], Received());
    }

    [Fact]
    public async Task ReceiptSignedByAnotherKey_IsRefused_AndNotRetried()
    {
        _tower = Accept(KeyPair.Random());
        _client.Queue(Sealed(3));

        var outcome = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal(UploadStatus.ReceiptRefused, outcome.Status);
        Assert.Contains(nameof(ReceiptCheck.WrongTower), outcome.Problem, StringComparison.Ordinal);
        Assert.Null(outcome.Receipt);
        Assert.Null(outcome.RetryIn);
        Assert.Equal([3UL], Received());
    }

    [Fact]
    public async Task UnknownSubscription_IsRetried_BecauseTheRegistrationMayStillBeOnItsWay()
    {
        var registered = false;
        _tower = b => registered ? Accept(_towerReceipt)(b) : Reject(b, RejectionReason.UnknownSubscription);
        await _client.RegisterAsync(5, 10_000, _time.GetUtcNow().AddDays(30), CancellationToken.None);
        _client.Queue(Sealed(0));

        var refused = await NextAsync();
        Assert.Equal((UploadStatus.Rejected, RejectionReason.UnknownSubscription), (refused.Status, refused.Reason));
        Assert.Equal(Options.FirstRetry, refused.RetryIn);
        registered = true;
        _time.Advance(Options.FirstRetry);

        Assert.Equal(UploadStatus.Accepted, (await NextAsync()).Status);
        var registration = Assert.Single(_registered);
        Assert.Equal((_subscription, _channel.WalletIdentity.AccountId.ToString()), (registration.SubscriptionId, registration.WalletKey));
    }

    [Fact]
    public async Task Renew_SendsTheSubscriptionsNewExpiryAndQuota()
    {
        var renewals = new WalletTowerClient(
            _bus, new TowerAddress(_towerReceipt.AccountId, _towerSealing.PublicKey, new Uri("queue:renewals"), new Uri("queue:uploads")),
            _subscription, _channel.WalletIdentity, _time, Options, _ => { });
        await using (renewals)
        {
            var until = _time.GetUtcNow().AddDays(90);
            await renewals.RenewAsync(until, maxChannels: 3, maxBytes: null, CancellationToken.None);

            using var limit = new CancellationTokenSource(Patience);
            Assert.Equal(new RenewSubscription(_subscription, until, 3, null), await _renewed.Reader.ReadAsync(limit.Token));
        }
    }

    [Fact]
    public async Task StaleRoundRejection_IsReportedWithItsReason_AndNotRetried()
    {
        _tower = b => Reject(b, RejectionReason.StaleRound);
        _client.Queue(Sealed(2));

        var outcome = await NextAsync();
        await _client.WhenIdleAsync(new CancellationTokenSource(Patience).Token);

        Assert.Equal((UploadStatus.Rejected, RejectionReason.StaleRound), (outcome.Status, outcome.Reason));
        Assert.Null(outcome.RetryIn);
        Assert.Equal([2UL], Received());
    }

    private SealedBundle Sealed(ulong round) => _channel.Seal(_channel.Bundle(round), _towerSealing.PublicKey);

    private Func<SealedBundle, object?> Accept(KeyPair signer) => b =>
        BundleAccepted.From(_subscription, BundleReceipt.Issue(signer, b.ChannelId, b.Round, b.Hash, 42));

    private object Reject(SealedBundle b, RejectionReason reason) =>
        new BundleRejected(_subscription, b.ChannelId, b.Round, reason, ContentProblem.None, "scripted");

    private ulong[] Received()
    {
        lock (_received)
        {
            return [.. _received];
        }
    }

    private async Task<UploadOutcome> NextAsync()
    {
        using var limit = new CancellationTokenSource(Patience);
        return await _outcomes.Reader.ReadAsync(limit.Token);
    }
}
