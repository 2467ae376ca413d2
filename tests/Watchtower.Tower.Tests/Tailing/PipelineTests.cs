using Microsoft.Extensions.DependencyInjection;
using RabbitMQ.Client;
using StackExchange.Redis;
using Watchtower.Contracts.Messages;
using Watchtower.Tower.Hosting;
using Watchtower.Tower.Tailing;
using Watchtower.Tower.Tests.Storage;
using Watchtower.Tower.Tests.Support;
using Xunit;

namespace Watchtower.Tower.Tests.Tailing;

/// <summary>Tailer → RabbitMQ → responders → ledger, with real Redis and RabbitMQ, through restarts and failover.</summary>
public class PipelineTests
{
    private const WatchtowerRoles TailAndRespond = WatchtowerRoles.Tail | WatchtowerRoles.Respond;

    [Fact]
    public async Task StaleRatchet_WhileTheWalletIsOffline_IsCountered_AndTheLatestSnapshotsSettle()
    {
        await using var rig = new PipelineRig();
        var host = await rig.StartAsync(TailAndRespond);
        await rig.UploadAsync(host);

        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        rig.Ledger.CloseLedger();
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the latest ratchet on the ledger");

        rig.Ledger.CloseLedger(rig.SnapshotMinTime - rig.Ledger.CloseTime);
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value + 2, "the latest snapshots on the ledger");
        rig.Ledger.CloseLedger();
        var store = host.Services.GetRequiredService<Watchtower.Tower.Storage.IChannelStore>();
        await PipelineRig.Eventually(() => store.GetAsync(rig.Channel.ChannelId(0), default).Result is null, "the settled channel forgotten");
    }

    /// <summary>
    /// Outcome events carry channel ids: any broker user may bind a queue to the message types'
    /// fanout exchanges, so they must not be published there, only sent to the operator's queue.
    /// </summary>
    [Fact]
    public async Task OutcomeEvents_GoToTheOperatorQueueOnly_NeverToAFanoutExchange()
    {
        await using var rig = new PipelineRig();
        var factory = new ConnectionFactory { Uri = TestServers.RabbitMq };
        await using var connection = await factory.CreateConnectionAsync();
        await using var amqp = await connection.CreateChannelAsync();
        var eavesdropper = (await amqp.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true)).QueueName;
        foreach (var type in new[] { typeof(BreachCountered), typeof(SnapshotsSubmitted), typeof(ChannelSettled) })
        {
            var exchange = $"{type.Namespace}:{type.Name}";
            await amqp.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true);
            await amqp.QueueBindAsync(eavesdropper, exchange, "");
        }
        // The operator's queue, as its consumer would declare it.
        var outcomes = (await amqp.QueueDeclareAsync(rig.Prefix + "-outcomes", durable: true, exclusive: false, autoDelete: false)).QueueName;
        var host = await rig.StartAsync(TailAndRespond, new Dictionary<string, string?> { ["Tower:Responder:OutcomeQueue"] = outcomes });
        await rig.UploadAsync(host);

        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        rig.Ledger.CloseLedger();
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the latest ratchet on the ledger");
        rig.Ledger.CloseLedger(rig.SnapshotMinTime - rig.Ledger.CloseTime);
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value + 2, "the latest snapshots on the ledger");
        rig.Ledger.CloseLedger();
        // BreachCountered, SnapshotsSubmitted, ChannelSettled: by the last one, anything published with the first two has arrived.
        await PipelineRig.Eventually(() => amqp.QueueDeclarePassiveAsync(outcomes).Result.MessageCount >= 3, "the outcomes on the operator queue");

        Assert.Equal(0u, (await amqp.QueueDeclarePassiveAsync(eavesdropper)).MessageCount);
        await amqp.QueueDeleteAsync(outcomes);
    }

    [Fact]
    public async Task Deadline_WithTheWalletOffline_LeadsToAForceCloseAtTheLatestState()
    {
        await using var rig = new PipelineRig();
        var host = await rig.StartAsync(TailAndRespond);
        await rig.UploadAsync(host);

        rig.Ledger.CloseLedger();
        rig.Ledger.CloseLedger(rig.DeadlineTime - 10 - rig.Ledger.CloseTime);
        var before = rig.Ledger.Sequence;
        await PipelineRig.Eventually(() => PipelineRig.Status(host).Current.Cursor == before, "ledgers before the deadline processed");
        Assert.Equal(rig.Channel.R0.Value - 2, rig.EscrowSequence);

        rig.Ledger.CloseLedger(10);

        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "v_max submitted at the deadline");
    }

    [Fact]
    public async Task TailerRestart_ReplaysFromItsCursor_SoABreachWhileItWasDownIsCountered()
    {
        await using var rig = new PipelineRig();
        var first = await rig.StartAsync(TailAndRespond);
        await rig.UploadAsync(first);
        var processed = rig.Ledger.CloseLedger().Header.Sequence;
        await PipelineRig.Eventually(() => PipelineRig.Status(first).Current.Cursor == processed, "first ledger processed");
        await rig.StopAsync(first);

        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        var breach = rig.Ledger.CloseLedger().Header.Sequence;
        rig.Ledger.CloseLedger();

        var second = await rig.StartAsync(TailAndRespond);
        await PipelineRig.Eventually(() => PipelineRig.Status(second).Current.Cursor >= breach + 1, "the tailer caught up without a gap");
        Assert.Equal(breach + 1, PipelineRig.Status(second).Current.Cursor);
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the breach countered after the restart");
    }

    [Fact]
    public async Task ResponderKilledBeforeHandling_TheQueuedTriggerIsHandledByTheNextOne()
    {
        await using var rig = new PipelineRig();
        var tailer = await rig.StartAsync(WatchtowerRoles.Tail);
        await rig.UploadAsync(tailer);
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        var breach = rig.Ledger.CloseLedger().Header.Sequence;
        await PipelineRig.Eventually(() => PipelineRig.Status(tailer).Current.Cursor == breach, "triggers confirmed and cursor advanced");
        Assert.Equal(rig.Channel.RatchetTarget(1).Value, rig.EscrowSequence);

        await rig.StartAsync(WatchtowerRoles.Respond);

        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the queued breach trigger handled");
    }

    [Fact]
    public async Task LeaderDies_AnotherReplicaTakesOverWithinSeconds_WithoutSkippingALedger()
    {
        await using var rig = new PipelineRig();
        var a = await rig.StartAsync(TailAndRespond);
        await PipelineRig.Eventually(() => PipelineRig.Status(a).Current.State != TailerState.Standby, "replica A leads");
        var b = await rig.StartAsync(TailAndRespond);
        await rig.UploadAsync(a);
        var first = rig.Ledger.CloseLedger().Header.Sequence;
        await PipelineRig.Eventually(() => PipelineRig.Status(a).Current.Cursor == first, "A processed the first ledger");
        Assert.Equal(TailerState.Standby, PipelineRig.Status(b).Current.State);

        // A loses Redis (as if its node died): it can neither renew nor release the lease.
        await a.Services.GetRequiredService<IConnectionMultiplexer>().CloseAsync(allowCommandsToComplete: false);
        await rig.StopAsync(a);
        var died = DateTime.UtcNow;
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        var breach = rig.Ledger.CloseLedger().Header.Sequence;

        await PipelineRig.Eventually(() => PipelineRig.Status(b).Current.Cursor == breach, "B took over and processed the breach ledger");
        Assert.True(DateTime.UtcNow - died < TimeSpan.FromSeconds(8), $"takeover took {DateTime.UtcNow - died}");
        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the breach countered by B");
    }

    [Fact]
    public async Task StoreDownWhenABreachIsTriggered_TheTriggerIsRetriedUnacknowledged_NotDeadLettered_AndCounteredOnceItIsBack()
    {
        await using var rig = new PipelineRig();
        var parts = Storage.TestServers.Redis.Split(':');
        await using var redis = new TcpForwarder(parts[0], int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
        redis.Open();
        var tail = await rig.StartAsync(WatchtowerRoles.Tail);
        // The responder reaches Redis through the forwarder; short timeouts so that each attempt fails fast.
        var respond = await rig.StartAsync(WatchtowerRoles.Respond, new Dictionary<string, string?>
        {
            ["Tower:Redis"] = $"127.0.0.1:{redis.Port},asyncTimeout=500,syncTimeout=500,connectTimeout=500",
            ["Tower:Responder:StoreRetryMaxDelay"] = "00:00:00.2",
            ["Tower:Startup:RetryMaxDelay"] = "00:00:00.5",
        });
        await rig.UploadAsync(tail);
        var metrics = respond.Services.GetRequiredService<Watchtower.Tower.Observability.TowerMetrics>();
        var storeDown = metrics.ResponderRetries.WithLabels("store_unavailable");

        redis.Close();
        rig.Ledger.Apply(rig.Channel.Ratchet(1, participant: 1));
        rig.Ledger.CloseLedger();
        // More attempts than MassTransit's retry (8) allowed before moving the trigger to _error.
        await PipelineRig.Eventually(() => storeDown.Value >= 10, "the trigger retried while the store is down", seconds: 60);
        Assert.Equal(rig.Channel.RatchetTarget(1).Value, rig.EscrowSequence);

        redis.Open();

        await PipelineRig.Eventually(() => rig.EscrowSequence == rig.R.Value, "the breach countered once the store is back", seconds: 60);
        Assert.Equal(0, metrics.DeadLetters.WithLabels(MassTransitTriggerPublisher.QueueFor(rig.Prefix), "fault").Value);
        // Stopped before the forwarder is disposed: a host stopping with its Redis gone waits out its timeouts.
        await rig.StopAsync(respond);
    }
}
