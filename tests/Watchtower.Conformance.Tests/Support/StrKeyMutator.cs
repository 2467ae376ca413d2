using Watchtower.Stellar;

namespace Watchtower.Conformance.Tests.Support;

/// <summary>Produces malformed StrKeys: random strings and mutations of valid keys of every kind.</summary>
public sealed class StrKeyMutator(Random r)
{
    private static readonly StrKeyVersion[] Versions = Enum.GetValues<StrKeyVersion>();
    private const string Noise = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567abcxyz01890=-_ é\0";

    public string Next()
    {
        var valid = Valid();
        var chars = valid.ToList();
        switch (r.Next(8))
        {
            case 0:
                return new string(Enumerable.Range(0, r.Next(0, 200)).Select(_ => Noise[r.Next(Noise.Length)]).ToArray());
            case 1:
                chars[r.Next(chars.Count)] = Noise[r.Next(Noise.Length)];
                return new string([.. chars]);
            case 2:
                chars.RemoveAt(r.Next(chars.Count));
                return new string([.. chars]);
            case 3:
                chars.Insert(r.Next(chars.Count + 1), Noise[r.Next(Noise.Length)]);
                return new string([.. chars]);
            case 4:
                return valid[..r.Next(valid.Length + 1)];
            case 5:
                return r.Next(2) == 0 ? valid.ToLowerInvariant() : valid + new string('=', r.Next(1, 7));
            case 6:
                var i = r.Next(chars.Count - 1);
                (chars[i], chars[i + 1]) = (chars[i + 1], chars[i]);
                return new string([.. chars]);
            default:
                return valid;
        }
    }

    private string Valid()
    {
        var version = Versions[r.Next(Versions.Length)];
        byte[] payload;
        switch (version)
        {
            case StrKeyVersion.MuxedAccount:
                payload = new byte[40];
                r.NextBytes(payload);
                break;
            case StrKeyVersion.SignedPayload:
                var length = r.Next(1, 65);
                payload = new byte[36 + ((length + 3) & ~3)];
                r.NextBytes(payload.AsSpan(0, 32));
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(32), (uint)length);
                r.NextBytes(payload.AsSpan(36, length));
                break;
            default:
                payload = new byte[32];
                r.NextBytes(payload);
                break;
        }

        return StrKey.Encode(version, payload);
    }
}
