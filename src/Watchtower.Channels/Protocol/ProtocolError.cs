namespace Watchtower.Channels.Protocol;

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
}

public sealed record ProtocolError(ProtocolErrorCode Code, string Message)
{
    public override string ToString() => $"{Code}: {Message}";
}

public sealed class ProtocolException(ProtocolError error) : InvalidOperationException(error.ToString())
{
    public ProtocolError Error { get; } = error;
}
