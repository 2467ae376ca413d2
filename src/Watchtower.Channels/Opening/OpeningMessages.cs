using System.Collections.Immutable;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Protocol;

namespace Watchtower.Channels.Opening;

/// <summary>
/// Messages of the opening handshake between separate processes, before the channel exists.
/// Every one travels over a link authenticated by the sender's wallet key.
/// </summary>
public abstract record OpeningMessage;

/// <summary>Joiner → initiator: the public keys the joiner generated, its deposits, and where it listens.</summary>
public sealed record OpeningOffer(ParticipantOffer Offer, string Address) : OpeningMessage;

/// <summary>Initiator → joiners: the parameters after the setup transaction, and every participant's address (by index).</summary>
public sealed record OpeningAccepted(ChannelParameters Parameters, ImmutableArray<string> Addresses) : OpeningMessage;

/// <summary>Joiner → initiator: parameters checked against the offer, the policy and the ledger; state saved; ready for round 0.</summary>
public sealed record OpeningReady(ChannelId Channel) : OpeningMessage;

/// <summary>Either way: why the sender will not go on.</summary>
public sealed record OpeningRefused(OpeningErrorCode Code, string Reason) : OpeningMessage;

public enum OpeningErrorCode
{
    /// <summary>A frame that does not decode as an opening message, or arrives out of turn.</summary>
    MalformedMessage = 1,
    /// <summary>A message from a link that is not the expected peer.</summary>
    UnexpectedPeer = 2,
    /// <summary>The offer's wallet is not the key the link proved, or it repeats another participant's accounts.</summary>
    OfferMismatch = 3,
    /// <summary>The parameters do not carry the joiner's offer unchanged.</summary>
    ParametersMismatch = 4,
    /// <summary>Timeouts, fee or participants outside what the joiner accepts.</summary>
    UnacceptableTerms = 5,
    /// <summary>The ledger does not show the accounts the parameters claim.</summary>
    LedgerMismatch = 6,
    /// <summary>The setup transaction or the channel parameters were refused.</summary>
    SetupFailed = 7,
    /// <summary>The other side refused (its reason follows).</summary>
    Refused = 8,
    /// <summary>The opening deadline passed before the funding transaction landed: the opening is abandoned.</summary>
    FundingExpired = 9,
}

/// <summary>A refusal during opening, typed.</summary>
public sealed class OpeningException(OpeningErrorCode code, string message) : InvalidOperationException($"{code}: {message}")
{
    public OpeningErrorCode Code { get; } = code;
}
