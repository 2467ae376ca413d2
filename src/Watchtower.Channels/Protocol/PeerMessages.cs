using System.Collections.Immutable;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Channels.Protocol;

/// <summary>
/// Messages between participants. Transactions are never sent: each side rebuilds them from the
/// parameters and the proposal, so a peer can only contribute signatures, which are checked
/// against our own copy.
/// </summary>
public abstract record PeerMessage(ChannelId Channel, int Sender);

/// <summary>Round j's content: its start time M_j, whether it is the cooperative close, and c_{j,·}.</summary>
public sealed record RoundProposal(ChannelId Channel, int Sender, long Round, DateTimeOffset Start, bool Closing, RoundOutcome Outcome)
    : PeerMessage(Channel, Sender);

/// <summary>Phase 1: the sender's ratchet-key signature on each snapshot t_{j,1..n}.</summary>
public sealed record SnapshotSignatures(ChannelId Channel, int Sender, long Round, ImmutableArray<DecoratedSignature> Signatures)
    : PeerMessage(Channel, Sender);

/// <summary>Phase 2 (only once the sender holds every snapshot signature): its ratchet-key signature on each v_{j,1..n}.</summary>
public sealed record RatchetSignatures(ChannelId Channel, int Sender, long Round, ImmutableArray<DecoratedSignature> Signatures)
    : PeerMessage(Channel, Sender);

/// <summary>The sender's signatures on the funding transaction (wallet if it deposits; R's master for participant 0).</summary>
public sealed record FundingSignatures(ChannelId Channel, int Sender, ImmutableArray<DecoratedSignature> Signatures)
    : PeerMessage(Channel, Sender);

/// <summary>A refusal, so the proposer learns why a round will not complete.</summary>
public sealed record RoundRejected(ChannelId Channel, int Sender, long Round, ProtocolErrorCode Code, string Reason)
    : PeerMessage(Channel, Sender);

/// <summary>
/// After a restart: "send me again what you sent for round j". Answered only with signatures the
/// responder had already given (ed25519 is deterministic, so re-signing yields the same bytes).
/// </summary>
public sealed record ResendRequest(ChannelId Channel, int Sender, long Round)
    : PeerMessage(Channel, Sender);

/// <summary>Identifies a channel by its escrow account (between peers; the tower derives its own, <c>Watchtower.Contracts.ChannelId</c>).</summary>
public readonly record struct ChannelId(AccountId Escrow)
{
    public override string ToString() => Escrow.ToString();
}

/// <summary>The peer-level id of a channel's parameters.</summary>
public static class ChannelParametersIds
{
    extension(ChannelParameters parameters)
    {
        public ChannelId Id => new(parameters.Escrow);
    }
}
