namespace Watchtower.Protocol;

/// <summary>The precise protocol violation in a signed round (the tower's InvalidContent rejection carries it). Stable numbers: they travel in messages.</summary>
public enum ContentProblem
{
    None = 0,
    /// <summary>A ratchet or snapshot is not a decodable v0/v1 transaction envelope.</summary>
    TransactionDecode = 1,
    /// <summary>The channel id is not the one derived from the network, R and the version account.</summary>
    ChannelIdMismatch = 2,
    /// <summary>The ratchet's source is not the wallet's version account.</summary>
    RatchetSourceMismatch = 3,
    /// <summary>The ratchet is not exactly one BUMP_SEQUENCE whose operation source is R.</summary>
    RatchetOperation = 4,
    /// <summary>The ratchet does not bump R to the bundle's r_j.</summary>
    BumpTargetMismatch = 5,
    /// <summary>Not exactly n snapshots, or one not sourced at R.</summary>
    SnapshotSet = 6,
    /// <summary>The snapshots' sequence numbers are not r_j+1 .. r_j+n in order.</summary>
    SnapshotSequence = 7,
    /// <summary>Time bounds disagree with the bundle's declaration or with the protocol's shape.</summary>
    TimeBounds = 8,
    /// <summary>The gap between the ratchet's maxTime and the snapshots' minTime is shorter than D.</summary>
    DelayTooShort = 9,
    /// <summary>A required signature is missing or does not verify.</summary>
    MissingSignature = 10,
    /// <summary>A snapshot operation is sourced at an account whose signers the bundle cannot vouch for.</summary>
    ForeignOperationSource = 11,
    /// <summary>Parameters out of range (n, D, watched accounts, signer set).</summary>
    Parameters = 12,
    /// <summary>A signature satisfies no required signer: the network would refuse the transaction (txBAD_AUTH_EXTRA).</summary>
    UnusedSignature = 13,
}
