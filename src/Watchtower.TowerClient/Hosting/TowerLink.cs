using System.Globalization;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Hosting;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;
using Watchtower.TowerClient;

namespace Watchtower.TowerClient.Hosting;

/// <summary>
/// The tower a two-terminal participant hands its rounds to: its broker, its public keys, the
/// key prefix its queues are named after, and the subscription uploads are billed to.
/// Stored in the session so <c>channel run</c> keeps uploading.
/// </summary>
public sealed record TowerSettings(Uri Amqp, AccountId ReceiptKey, TowerPublicKey SealingKey, string Prefix, Guid Subscription)
{
    public TowerAddress Address => new(
        ReceiptKey, SealingKey, IngestionQueues.SendAddress(IngestionQueues.UploadBundle(Prefix)), IngestionQueues.SendAddress(IngestionQueues.AuditChannel(Prefix)));
}

/// <summary>
/// The participant's tower client for the life of the process: its own bus to the tower's broker
/// and a <see cref="WalletTowerClient"/> signing uploads and audits with the wallet key. Each
/// upload's fate is an event line: <c>uploaded round N (receipt ok)</c> or <c>upload failed: …</c>;
/// each periodic audit's too: <c>audit ok: …</c> or <c>audit failed: … (re-uploaded)</c>.
/// </summary>
public sealed class TowerLink : IAsyncDisposable
{
    private readonly TowerBus _bus;
    private readonly WalletTowerClient _client;

    private TowerLink(TowerBus bus, WalletTowerClient client)
    {
        _bus = bus;
        _client = client;
    }

    /// <summary>Connect to the tower in the background, under the operator-issued subscription of the settings.</summary>
    public static TowerLink Start(TowerSettings settings, KeyPair wallet, TimeSpan requestTimeout, EventOutput output, TimeProvider time)
    {
        var options = new TowerClientOptions { RequestTimeout = requestTimeout };
        var bus = TowerBus.StartRabbitMq(settings.Amqp, time, options, e =>
            output.Emit("upload-failed", $"upload failed: cannot reach the tower's broker {settings.Amqp.Host}:{settings.Amqp.Port}: {e.Message}", ("status", "Unreachable"), ("message", e.Message)));
        var client = new WalletTowerClient(bus.Bus, settings.Address, settings.Subscription, wallet, time, options, o => Report(output, o), o => Audited(output, o));
        return new TowerLink(bus, client);
    }

    public IBundleSink Sink => _client;

    /// <summary>Hand the tower the latest round again (a restart may have missed its upload); the tower keeps the latest it holds.</summary>
    public Task ResendLatestAsync(ChannelState state, CancellationToken ct) =>
        state.Latest is { } latest ? _client.PublishAsync(ChannelBundle.From(state.Parameters, state.Me, latest), ct) : Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        await _client.DisposeAsync().ConfigureAwait(false);
        await _bus.DisposeAsync().ConfigureAwait(false);
    }

    private static void Audited(EventOutput output, AuditOutcome o)
    {
        var round = checked((long)o.Round);
        if (o.Status == AuditStatus.Held)
        {
            output.Emit("audited", $"audit ok: the tower proved it holds round {round}", ("round", round), ("channel", o.Channel.ToString()), ("status", o.Status.ToString()));
            return;
        }

        output.Emit(
            "audit-failed",
            $"audit failed: round {round}: {o.Problem}{(o.Reuploaded ? " (re-uploaded)" : "")}",
            ("round", round), ("channel", o.Channel.ToString()), ("status", o.Status.ToString()), ("reuploaded", o.Reuploaded.ToString()), ("message", o.Problem));
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
