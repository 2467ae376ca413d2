using System.Globalization;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Contracts;
using Watchtower.Stellar;
using Watchtower.Tower.Ingestion;
using Watchtower.TowerClient;

namespace Watchtower.Cli.Peer;

/// <summary>
/// The tower a two-terminal participant hands its rounds to: its broker, its public keys, the
/// key prefix its queues are named after, and the subscription uploads are billed to.
/// Stored in the session so <c>channel run</c> keeps uploading.
/// </summary>
internal sealed record TowerSettings(Uri Amqp, AccountId ReceiptKey, TowerPublicKey SealingKey, string Prefix, Guid Subscription)
{
    public TowerAddress Address => new(
        ReceiptKey, SealingKey, TowerQueues.SendAddress(TowerQueues.Subscriptions(Prefix)), TowerQueues.SendAddress(TowerQueues.UploadBundle(Prefix)));
}

/// <summary>
/// The participant's tower client for the life of the process: its own bus to the tower's broker
/// and a <see cref="WalletTowerClient"/> signing uploads with the wallet key. Each upload's fate is
/// an event line: <c>uploaded round N (receipt ok)</c> or <c>upload failed: …</c>.
/// </summary>
internal sealed class TowerLink : IAsyncDisposable
{
    /// <summary>A subscription a wallet opens for itself (no operator-issued --subscription): a year, room for a few channels.</summary>
    private static readonly TimeSpan SelfSubscription = TimeSpan.FromDays(365);

    private readonly TowerBus _bus;
    private readonly WalletTowerClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _registering;

    private TowerLink(TowerBus bus, WalletTowerClient client, Func<CancellationToken, Task> register)
    {
        _bus = bus;
        _client = client;
        _registering = register(_stop.Token);
    }

    /// <summary>
    /// Connect to the tower in the background. With <paramref name="register"/> (no operator-issued
    /// subscription) the wallet opens its own subscription once the bus is up; uploads that overtake it are retried.
    /// </summary>
    public static TowerLink Start(TowerSettings settings, bool register, KeyPair wallet, TimeSpan requestTimeout, EventOutput output, TimeProvider time)
    {
        var options = new TowerClientOptions { RequestTimeout = requestTimeout };
        var bus = TowerBus.StartRabbitMq(settings.Amqp, time, options, e =>
            output.Emit("upload-failed", $"upload failed: cannot reach the tower's broker {settings.Amqp.Host}:{settings.Amqp.Port}: {e.Message}", ("status", "Unreachable"), ("message", e.Message)));
        var client = new WalletTowerClient(bus.Bus, settings.Address, settings.Subscription, wallet, time, options, o => Report(output, o));
        return new TowerLink(bus, client, register ? ct => RegisterAsync(bus, client, output, time, ct) : _ => Task.CompletedTask);
    }

    public IBundleSink Sink => _client;

    /// <summary>Hand the tower the latest round again (a restart may have missed its upload); the tower keeps the latest it holds.</summary>
    public Task ResendLatestAsync(ChannelState state, CancellationToken ct) =>
        state.Latest is { } latest ? _client.PublishAsync(ChannelBundle.From(state.Parameters, state.Me, latest), ct) : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _registering.ConfigureAwait(false);
        await _client.DisposeAsync().ConfigureAwait(false);
        await _bus.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private static async Task RegisterAsync(TowerBus bus, WalletTowerClient client, EventOutput output, TimeProvider time, CancellationToken ct)
    {
        try
        {
            if (await bus.Started.WaitAsync(ct).ConfigureAwait(false))
            {
                await client.RegisterAsync(maxChannels: 10, maxBytes: 1_000_000, time.GetUtcNow() + SelfSubscription, ct).ConfigureAwait(false);
                output.Emit("subscribed", $"asked the tower for subscription {client.Subscription}", ("subscription", client.Subscription.ToString()));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            output.Emit("upload-failed", $"upload failed: cannot subscribe at the tower: {e.Message}", ("status", "Unreachable"), ("message", e.Message));
        }
    }

    private static void Report(EventOutput output, UploadOutcome o)
    {
        var round = checked((long)o.Round);
        if (o.Status == UploadStatus.Accepted)
        {
            output.Emit(
                "uploaded",
                $"uploaded round {round} (receipt ok: signed by the tower at ledger {o.Receipt!.AcceptingLedger})",
                ("round", round), ("channel", o.Channel.ToString()), ("ledger", (long)o.Receipt.AcceptingLedger), ("bytes", o.SealedBytes));
            return;
        }

        var retry = o.RetryIn is { } r ? $"; retrying in {r.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)} s unless a newer round replaces it" : "";
        output.Emit(
            "upload-failed",
            $"upload failed: round {round}: {o.Problem}{retry}",
            ("round", round), ("status", o.Status.ToString()), ("reason", o.Reason?.ToString()), ("message", o.Problem), ("retryIn", o.RetryIn?.TotalSeconds.ToString(CultureInfo.InvariantCulture)));
    }
}
