using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Watchtower.Stellar;

/// <summary>StrKey kinds (SEP-23); the value is the version byte.</summary>
public enum StrKeyVersion : byte
{
    AccountId = 6 << 3,      // G
    MuxedAccount = 12 << 3,  // M
    SecretSeed = 18 << 3,    // S
    PreAuthTx = 19 << 3,     // T
    Sha256Hash = 23 << 3,    // X
    SignedPayload = 15 << 3, // P
}

public sealed class StrKeyFormatException : FormatException
{
    public StrKeyFormatException(string message) : base(message) { }
}

/// <summary>
/// SEP-23 StrKey: base32 (RFC 4648, upper case, no padding) of version byte + payload + CRC16-XModem
/// (little-endian). Decoding is strict: only the canonical encoding of a well-formed payload is accepted.
/// </summary>
/// <remarks>
/// One asymmetry, on purpose: a signed payload (P) with an empty inner payload encodes but never
/// decodes. The XDR allows it (<c>opaque payload&lt;64&gt;</c>), so a valid envelope can carry one and
/// must be printable; both reference implementations print it with SEP-23's construction
/// (stellar-base's <c>SignerKey.encodeSignerKey</c>, the Rust reference XDR's JSON), and both refuse
/// it as a StrKey (stellar-base's <c>isValidSignedPayload</c>, rs-stellar-strkey: inner length 1..64),
/// as stellar-core refuses the signer itself (SET_OPTIONS_BAD_SIGNER, txMALFORMED as an extra signer).
/// </remarks>
public static class StrKey
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    private const int MaxSignedPayload = 64;

    public static string Encode(StrKeyVersion version, ReadOnlySpan<byte> payload)
    {
        var error = CheckPayload(version, payload, minSignedPayload: 0);
        if (error is not null)
        {
            throw new ArgumentException(error, nameof(payload));
        }

        var raw = payload.Length + 3 <= 256 ? stackalloc byte[payload.Length + 3] : new byte[payload.Length + 3];
        raw[0] = (byte)version;
        payload.CopyTo(raw[1..]);
        var crc = Crc16XModem(raw[..(payload.Length + 1)]);
        BinaryPrimitives.WriteUInt16LittleEndian(raw[(payload.Length + 1)..], crc);
        return Base32Encode(raw);
    }

    public static byte[] Decode(StrKeyVersion version, string encoded)
    {
        ArgumentNullException.ThrowIfNull(encoded);
        var error = TryDecodeCore(version, encoded, out var payload);
        return error is null ? payload! : throw new StrKeyFormatException(error);
    }

    public static bool TryDecode(StrKeyVersion version, string? encoded, [NotNullWhen(true)] out byte[]? payload)
    {
        payload = null;
        if (encoded is null)
        {
            return false;
        }

        return TryDecodeCore(version, encoded, out payload) is null;
    }

    public static bool IsValid(StrKeyVersion version, string? encoded) => TryDecode(version, encoded, out _);

    private static string? TryDecodeCore(StrKeyVersion version, string encoded, out byte[]? payload)
    {
        payload = null;
        // Longest valid key: P with a 64-byte payload = 1 + 32 + 4 + 64 + 2 bytes = 165 chars.
        if (encoded.Length is 0 or > 165)
        {
            return "invalid strkey length";
        }

        var raw = Base32Decode(encoded, out var error);
        if (raw is null)
        {
            return error;
        }

        if (raw.Length < 3)
        {
            return "strkey too short";
        }

        if (raw[0] != (byte)version)
        {
            return $"invalid version byte {raw[0]}, expected {(byte)version}";
        }

        var body = raw.AsSpan(0, raw.Length - 2);
        var expected = Crc16XModem(body);
        if (BinaryPrimitives.ReadUInt16LittleEndian(raw.AsSpan(raw.Length - 2)) != expected)
        {
            return "invalid strkey checksum";
        }

        var data = body[1..];
        error = CheckPayload(version, data, minSignedPayload: 1);
        if (error is not null)
        {
            return error;
        }

        payload = data.ToArray();
        return null;
    }

    private static string? CheckPayload(StrKeyVersion version, ReadOnlySpan<byte> data, int minSignedPayload)
    {
        switch (version)
        {
            case StrKeyVersion.AccountId:
            case StrKeyVersion.SecretSeed:
            case StrKeyVersion.PreAuthTx:
            case StrKeyVersion.Sha256Hash:
                return data.Length == 32 ? null : $"invalid payload length {data.Length}, expected 32";
            case StrKeyVersion.MuxedAccount:
                return data.Length == 40 ? null : $"invalid payload length {data.Length}, expected 40";
            case StrKeyVersion.SignedPayload:
                // 32-byte signer key, uint32 payload length, payload (min..64 bytes) zero-padded to 4.
                if (data.Length < 32 + 4 + ((minSignedPayload + 3) & ~3) || data.Length > 32 + 4 + MaxSignedPayload)
                {
                    return $"invalid signed payload length {data.Length}";
                }

                var inner = BinaryPrimitives.ReadUInt32BigEndian(data.Slice(32, 4));
                if (inner < minSignedPayload || inner > MaxSignedPayload)
                {
                    return $"invalid signed payload inner length {inner}";
                }

                var padded = ((int)inner + 3) & ~3;
                if (data.Length != 36 + padded)
                {
                    return "signed payload length does not match its inner length";
                }

                foreach (var b in data[(36 + (int)inner)..])
                {
                    if (b != 0)
                    {
                        return "signed payload padding is not zero";
                    }
                }

                return null;
            default:
                return $"unknown strkey version {(byte)version}";
        }
    }

    /// <summary>CRC16-XModem (poly 0x1021, init 0).</summary>
    internal static ushort Crc16XModem(ReadOnlySpan<byte> data)
    {
        uint crc = 0;
        foreach (var b in data)
        {
            crc ^= (uint)b << 8;
            for (var i = 0; i < 8; i++)
            {
                crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
            }
        }

        return (ushort)crc;
    }

    private static string Base32Encode(ReadOnlySpan<byte> data)
    {
        var length = (data.Length * 8 + 4) / 5;
        return string.Create(length, data.ToArray(), static (chars, bytes) =>
        {
            int buffer = 0, bits = 0, o = 0;
            foreach (var b in bytes)
            {
                buffer = (buffer << 8) | b;
                bits += 8;
                while (bits >= 5)
                {
                    chars[o++] = Alphabet[(buffer >> (bits - 5)) & 31];
                    bits -= 5;
                }
            }

            if (bits > 0)
            {
                chars[o] = Alphabet[(buffer << (5 - bits)) & 31];
            }
        });
    }

    // Strict: upper-case alphabet only, no '=' padding, no impossible lengths, zero trailing bits.
    private static byte[]? Base32Decode(string s, out string? error)
    {
        error = null;
        var rem = s.Length % 8;
        if (rem is 1 or 3 or 6)
        {
            error = "invalid base32 length";
            return null;
        }

        var result = new byte[s.Length * 5 / 8];
        int buffer = 0, bits = 0, o = 0;
        foreach (var c in s)
        {
            int v;
            if (c is >= 'A' and <= 'Z')
            {
                v = c - 'A';
            }
            else if (c is >= '2' and <= '7')
            {
                v = c - '2' + 26;
            }
            else
            {
                error = $"invalid base32 character '{c}'";
                return null;
            }

            buffer = ((buffer << 5) | v) & 0xFFF;
            bits += 5;
            if (bits >= 8)
            {
                result[o++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }

        if ((buffer & ((1 << bits) - 1)) != 0)
        {
            error = "non-zero trailing bits in base32";
            return null;
        }

        return result;
    }
}
