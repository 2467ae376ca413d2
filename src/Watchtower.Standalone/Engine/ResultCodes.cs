namespace Watchtower.Standalone.Engine;

// Per-operation result codes, numbered as in Stellar-transaction.x (0 is always success).
// (Constant groups rather than enums so a result carries one int whatever the operation type.)

public static class CreateAccountCodes
{
    public const int Malformed = -1, Underfunded = -2, LowReserve = -3, AlreadyExist = -4;
}

public static class PaymentCodes
{
    public const int Malformed = -1, Underfunded = -2, SrcNoTrust = -3, SrcNotAuthorized = -4, NoDestination = -5,
        NoTrust = -6, NotAuthorized = -7, LineFull = -8, NoIssuer = -9;
}

public static class SetOptionsCodes
{
    public const int LowReserve = -1, TooManySigners = -2, BadFlags = -3, InvalidInflation = -4, CantChange = -5,
        UnknownFlag = -6, ThresholdOutOfRange = -7, BadSigner = -8, InvalidHomeDomain = -9, AuthRevocableRequired = -10;
}

public static class ChangeTrustCodes
{
    public const int Malformed = -1, NoIssuer = -2, InvalidLimit = -3, LowReserve = -4, SelfNotAllowed = -5,
        TrustLineMissing = -6, CannotDelete = -7;
}

public static class AccountMergeCodes
{
    public const int Malformed = -1, NoAccount = -2, ImmutableSet = -3, HasSubEntries = -4, SeqNumTooFar = -5, DestFull = -6;
}

public static class ManageDataCodes
{
    public const int NotSupportedYet = -1, NameNotFound = -2, LowReserve = -3, InvalidName = -4;
}

public static class BumpSequenceCodes
{
    public const int BadSeq = -1;
}
