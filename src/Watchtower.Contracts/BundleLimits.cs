namespace Watchtower.Contracts;

/// <summary>
/// Hard limits, checked before anything is allocated or decrypted. They bound what one upload can
/// cost the tower (memory, CPU for signature checks, Redis bytes).
/// </summary>
public static class BundleLimits
{
    /// <summary>At most 16 participants: 16 snapshots and 15 counterparty version accounts.</summary>
    public const int MaxParticipants = 16;
    /// <summary>One pre-signed transaction envelope (a ratchet is ~250 bytes, a snapshot paying n parties well under 2 KB).</summary>
    public const int MaxEnvelopeBytes = 4096;
    /// <summary>R's declared signers (Stellar allows at most 20 per account).</summary>
    public const int MaxEscrowSigners = 20;
    public const int MaxPassphraseBytes = 128;
    /// <summary>The whole plaintext bundle.</summary>
    public const int MaxPlaintextBytes = 48 * 1024;
    /// <summary>The whole sealed envelope: plaintext + AEAD tag + fixed header and signature.</summary>
    public const int MaxSealedBytes = MaxPlaintextBytes + 16 + SealedBundle.OverheadBytes;
}
