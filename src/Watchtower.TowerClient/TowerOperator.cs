using MassTransit;
using Watchtower.Contracts;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.TowerClient;

/// <summary>
/// The operator's side (billing, admin; never a wallet): subscription commands signed with the
/// operator key and sent as requests, so each answer comes back to this sender only.
/// </summary>
/// <param name="Tower">The tower's receipt key: the commands are bound to that tower.</param>
/// <param name="Subscriptions">The tower's subscription queue.</param>
public sealed class TowerOperator(IBus bus, KeyPair operatorKey, AccountId tower, Uri subscriptions, TimeProvider time, TimeSpan timeout)
{
    private readonly Lock _gate = new();
    private DateTimeOffset _lastIssued = DateTimeOffset.MinValue;

    /// <summary>Creates (or updates, keeping its key unless <paramref name="replaceWalletKey"/>) a subscription; returns the tower's answer.</summary>
    public Task<(SubscriptionChanged? Changed, BundleRejected? Rejected)> RegisterAsync(
        Guid subscriptionId, AccountId walletKey, int maxChannels, long maxBytes, DateTimeOffset expiresAt, CancellationToken ct, bool replaceWalletKey = false) =>
        SendAsync(OperatorCommands.Register(operatorKey, tower, subscriptionId, walletKey, maxChannels, maxBytes, expiresAt, NextIssuedAt(), replaceWalletKey), ct);

    public Task<(SubscriptionChanged? Changed, BundleRejected? Rejected)> RenewAsync(
        Guid subscriptionId, DateTimeOffset expiresAt, int? maxChannels, long? maxBytes, CancellationToken ct) =>
        SendAsync(OperatorCommands.Renew(operatorKey, tower, subscriptionId, expiresAt, maxChannels, maxBytes, NextIssuedAt()), ct);

    private async Task<(SubscriptionChanged?, BundleRejected?)> SendAsync<T>(T command, CancellationToken ct) where T : class
    {
        var client = bus.CreateRequestClient<T>(subscriptions, RequestTimeout.After(ms: (int)timeout.TotalMilliseconds));
        var response = await client.GetResponse<SubscriptionChanged, BundleRejected>(command, ct).ConfigureAwait(false);
        return response.Is(out Response<SubscriptionChanged>? changed) ? (changed.Message, null)
            : response.Is(out Response<BundleRejected>? rejected) ? (null, rejected.Message)
            : throw new InvalidOperationException("unexpected response");
    }

    // Issue times must grow per subscription (the tower's replay guard): never repeat a millisecond.
    private DateTimeOffset NextIssuedAt()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            var floor = _lastIssued.AddMilliseconds(1);
            _lastIssued = now > floor ? now : floor;
            return _lastIssued;
        }
    }
}
