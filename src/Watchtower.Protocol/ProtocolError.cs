namespace Watchtower.Protocol;

/// <summary>Why an inbound message or a local command was refused.</summary>
public enum ProtocolErrorCode
{
    WrongChannel,
    UnknownParticipant,
    ChannelClosed,
    NotFunded,
    AlreadyFunded,
    UnexpectedRound,
    RoundInProgress,
    WrongEffectCount,
    EmptySnapshot,
    ForbiddenOperation,
    OperationSourceNotEscrow,
    NonPositiveAmount,
    EscrowAsDestination,
    EscrowChangeBeforeLastSnapshot,
    OutcomeExceedsFunds,
    PayoutDecreased,
    StartTimeOutOfRange,
    CloseChangesOutcome,
    BadSignature,
    WrongSignatureCount,
    NoPendingRound,
    MalformedMessage,
    OpeningExpired,
    FundingStillValid,

    /// <summary>A snapshot would fail on the ledger (e.g. a merge while R still holds trust lines), losing every payout it carries.</summary>
    SnapshotWouldFail,

    /// <summary>The proposal moves control of R (what is left in it after the last snapshot) away from us.</summary>
    EscrowControlTaken,

    /// <summary>The proposal hands value left in R that was ours, or under our veto, to someone else.</summary>
    ResidualTaken,

    /// <summary>The proposal puts an operation someone else can make fail into a snapshot that pays us.</summary>
    PayoutAtRisk,
}

public sealed record ProtocolError(ProtocolErrorCode Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

public sealed class ProtocolException(ProtocolError error) : InvalidOperationException(error.ToString())
{
    public ProtocolError Error { get; } = error;
}
