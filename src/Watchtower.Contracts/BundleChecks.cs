using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Contracts;

/// <summary>
/// Checks a decrypted bundle (pure: no I/O, no clock): the wire's own facts (the network, the
/// participant bound, the channel id's derivation) here, the channel protocol's rules in
/// <see cref="RoundValidator"/>.
/// </summary>
public static class BundleChecks
{
    /// <summary>Throws <see cref="BundleRejectedException"/> (NetworkMismatch or InvalidContent with its problem) on the first violation.</summary>
    public static void Validate(Bundle bundle, Network towerNetwork)
    {
        ArgumentNullException.ThrowIfNull(bundle);
        ArgumentNullException.ThrowIfNull(towerNetwork);
        if (bundle.Network.Passphrase != towerNetwork.Passphrase)
        {
            throw new BundleRejectedException(RejectionReason.NetworkMismatch, $"bundle is for '{bundle.Network.Passphrase}', the tower watches '{towerNetwork.Passphrase}'");
        }
        var round = bundle.ToSignedRound();
        ByTheRules(() => RoundValidator.CheckParameters(round, BundleLimits.MaxParticipants));
        if (ChannelId.Derive(bundle.Network, bundle.Escrow, bundle.VersionAccount) != bundle.ChannelId)
        {
            throw BundleRejectedException.Invalid(ContentProblem.ChannelIdMismatch, "channel id is not derived from the network, R and the version account");
        }
        ByTheRules(() => RoundValidator.CheckTransactions(round));
    }

    private static void ByTheRules(Action check)
    {
        try
        {
            check();
        }
        catch (RoundRuleException e)
        {
            throw new BundleRejectedException(RejectionReason.InvalidContent, e.Detail, e, e.Problem);
        }
    }
}
