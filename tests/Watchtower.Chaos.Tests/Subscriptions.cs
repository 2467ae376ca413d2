using MassTransit;
using Watchtower.Contracts.Messages;
using Watchtower.Stellar;

namespace Watchtower.Chaos.Tests;

/// <summary>
/// The one place the harness creates a subscription at the tower. Today RegisterSubscription is
/// an unsigned command on the subscriptions queue; once it is operator-signed, sign it here.
/// </summary>
internal static class Subscriptions
{
    public static async Task CreateAsync(IBus bus, Uri queue, Guid subscription, AccountId walletKey, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bus);
        var endpoint = await bus.GetSendEndpoint(queue).ConfigureAwait(false);
        await endpoint.Send(new RegisterSubscription(subscription, walletKey.ToString(), MaxChannels: 4, MaxBytes: 1 << 20, DateTimeOffset.UtcNow.AddYears(1)), ct).ConfigureAwait(false);
    }
}
