using Watchtower.Protocol;

namespace Watchtower.Contracts;

/// <summary>Why the tower refused an upload or request. Stable numbers: they travel in messages.</summary>
public enum RejectionReason
{
    /// <summary>The sealed envelope or the plaintext bundle does not parse.</summary>
    Malformed = 1,
    /// <summary>The wallet's signature over the sealed envelope does not verify.</summary>
    BadSignature = 2,
    /// <summary>The bundle was sealed to another tower key.</summary>
    WrongTowerKey = 3,
    /// <summary>Sealed to this tower, but the AEAD refused it (tampered ciphertext or associated data).</summary>
    DecryptionFailed = 4,
    UnknownSubscription = 5,
    SubscriptionExpired = 6,
    /// <summary>The subscription's channel count or byte allowance would be exceeded.</summary>
    QuotaExceeded = 7,
    /// <summary>The tower already holds a later round of this channel.</summary>
    StaleRound = 8,
    /// <summary>An envelope, bundle or field exceeds its hard size limit.</summary>
    Oversized = 9,
    /// <summary>The transactions contradict the protocol; <see cref="ContentProblem"/> says how.</summary>
    InvalidContent = 10,
    /// <summary>The bundle is for another network than the tower's.</summary>
    NetworkMismatch = 11,
    /// <summary>The channel id is held by another subscription at an equal or later round.</summary>
    ChannelConflict = 12,
    /// <summary>An operator command that is not signed by the tower's operator key (or no operator key is configured).</summary>
    NotAuthorized = 13,
    /// <summary>An operator command not issued after the last one applied to the subscription (a replay).</summary>
    ReplayedCommand = 14,
    /// <summary>A registration naming another wallet key than the subscription's, without the explicit replace flag.</summary>
    WalletKeyConflict = 15,
    /// <summary>The subscription sent more than its rate allows; try again later.</summary>
    RateLimited = 16,
}

/// <summary>The one exception the bundle pipeline throws for bad input; callers map it to a reply and a metric.</summary>
public sealed class BundleRejectedException : Exception
{
    public BundleRejectedException(RejectionReason reason, string detail, ContentProblem problem = ContentProblem.None)
        : base($"{reason}: {detail}")
    {
        Reason = reason;
        Detail = detail;
        Problem = problem;
    }

    public BundleRejectedException(RejectionReason reason, string detail, Exception inner, ContentProblem problem = ContentProblem.None)
        : base($"{reason}: {detail}", inner)
    {
        Reason = reason;
        Detail = detail;
        Problem = problem;
    }

    public BundleRejectedException()
        : this(RejectionReason.Malformed, "unspecified")
    {
    }

    public BundleRejectedException(string message)
        : this(RejectionReason.Malformed, message)
    {
    }

    public BundleRejectedException(string message, Exception innerException)
        : this(RejectionReason.Malformed, message, innerException)
    {
    }

    public RejectionReason Reason { get; }
    public string Detail { get; }
    public ContentProblem Problem { get; }

    public static BundleRejectedException Invalid(ContentProblem problem, string detail) =>
        new(RejectionReason.InvalidContent, detail, problem);
}

public static class RejectionReasonLabels
{
    /// <summary>The metric label for a reason: snake_case, stable.</summary>
    public static string ToLabel(this RejectionReason reason) => reason switch
    {
        RejectionReason.Malformed => "malformed",
        RejectionReason.BadSignature => "bad_signature",
        RejectionReason.WrongTowerKey => "wrong_tower_key",
        RejectionReason.DecryptionFailed => "decryption_failed",
        RejectionReason.UnknownSubscription => "unknown_subscription",
        RejectionReason.SubscriptionExpired => "subscription_expired",
        RejectionReason.QuotaExceeded => "quota_exceeded",
        RejectionReason.StaleRound => "stale_round",
        RejectionReason.Oversized => "oversized",
        RejectionReason.InvalidContent => "invalid_content",
        RejectionReason.NetworkMismatch => "network_mismatch",
        RejectionReason.ChannelConflict => "channel_conflict",
        RejectionReason.NotAuthorized => "not_authorized",
        RejectionReason.ReplayedCommand => "replayed_command",
        RejectionReason.WalletKeyConflict => "wallet_key_conflict",
        RejectionReason.RateLimited => "rate_limited",
        _ => "unknown",
    };
}
