using System.Diagnostics;
using System.Text;
using Watchtower.Conformance.Tests.Support;
using Watchtower.Stellar;
using Watchtower.Stellar.Xdr;
using Xunit.Abstractions;

namespace Watchtower.Conformance.Tests;

/// <summary>
/// Random and mutated envelopes (binary and base64) and StrKeys: the decoders may only accept or
/// throw their own typed exception, must answer each case quickly, must never allocate in
/// proportion to a length field rather than to the input, and what they accept must re-encode to
/// exactly the input (the decoder is strict, so the encoding is canonical).
/// </summary>
public sealed class MalformedInputTests(ITestOutputHelper output)
{
    private static readonly int Cases = RunSeed.Count("WATCHTOWER_FUZZ_CASES", 50_000);

    // Per case, generous for a loaded 2-core CI machine: a hang or a quadratic blow-up is far beyond it.
    private static readonly TimeSpan CaseTimeLimit = TimeSpan.FromSeconds(1);

    // Whole run: a case that never returns fails the test instead of hanging the suite.
    private static readonly TimeSpan RunTimeLimit = TimeSpan.FromMinutes(2);

    // Allocation allowed per case: a fixed allowance (exception, message, stack trace) plus a
    // multiple of the input size (the decoded object graph is a small multiple of its encoding).
    private const long FixedAllocation = 16 * 1024;
    private const long PerInputByte = 16;

    [Fact]
    public void MalformedEnvelopes_OnlyThrowXdrFormatException_QuicklyAndWithAllocationBoundedByInputSize()
    {
        var random = RunSeed.RandomFor(nameof(MalformedEnvelopes_OnlyThrowXdrFormatException_QuicklyAndWithAllocationBoundedByInputSize));
        var generator = new RandomEnvelopes(random);
        var corpus = Enumerable.Range(0, 64).Select(_ => generator.Next().Envelope.ToXdr()).ToArray();
        var mutator = new Mutator(random, corpus);
        var stats = RunBounded(() =>
        {
            var s = new FuzzStats();
            for (var i = 0; i < Cases; i++)
            {
                if (i % 4 == 3)
                {
                    var text = mutator.NextBase64();
                    s.Record(i, Encoding.UTF8.GetBytes(text), text.Length, () => DecodeBase64(text));
                }
                else
                {
                    var bytes = mutator.NextBytes();
                    s.Record(i, bytes, bytes.Length, () => DecodeBinary(bytes));
                }
            }

            return s;
        });
        output.WriteLine($"{Cases} envelope cases, {stats.Summary}; {RunSeed.Replay}");
        stats.AssertClean("envelope");
    }

    [Fact]
    public void MalformedStrKeys_OnlyThrowStrKeyFormatException_QuicklyAndWithAllocationBoundedByInputSize()
    {
        var random = RunSeed.RandomFor(nameof(MalformedStrKeys_OnlyThrowStrKeyFormatException_QuicklyAndWithAllocationBoundedByInputSize));
        var mutator = new StrKeyMutator(random);
        var stats = RunBounded(() =>
        {
            var s = new FuzzStats();
            for (var i = 0; i < Cases; i++)
            {
                var text = mutator.Next();
                s.Record(i, Encoding.UTF8.GetBytes(text), text.Length, () => ParseStrKey(text));
            }

            return s;
        });
        output.WriteLine($"{Cases} StrKey cases, {stats.Summary}; {RunSeed.Replay}");
        stats.AssertClean("StrKey");
    }

    private static FuzzStats RunBounded(Func<FuzzStats> run)
    {
        var task = Task.Factory.StartNew(run, TaskCreationOptions.LongRunning);
        Assert.True(task.Wait(RunTimeLimit), $"the fuzz run did not finish within {RunTimeLimit}: a case hangs; {RunSeed.Replay}");
        return task.Result;
    }

    // Accepted input must be canonical: re-encoding gives back exactly the input, and hashing works.
    private static string? DecodeBinary(byte[] bytes)
    {
        TransactionEnvelope envelope;
        try
        {
            envelope = XdrCodec.Decode<TransactionEnvelope>(bytes);
        }
        catch (XdrFormatException)
        {
            return null;
        }

        envelope.Hash(Network.Testnet);
        return envelope.ToXdr().AsSpan().SequenceEqual(bytes) ? null : "accepted, but re-encodes differently";
    }

    private static string? DecodeBase64(string text)
    {
        TransactionEnvelope envelope;
        try
        {
            envelope = TransactionEnvelope.FromXdrBase64(text);
        }
        catch (XdrFormatException)
        {
            return null;
        }

        envelope.Hash(Network.Testnet);
        return DecodeBinary(envelope.ToXdr());
    }

    private static readonly StrKeyVersion[] Versions = Enum.GetValues<StrKeyVersion>();

    private static readonly Dictionary<StrKeyVersion, char> Letters = new()
    {
        [StrKeyVersion.AccountId] = 'G',
        [StrKeyVersion.MuxedAccount] = 'M',
        [StrKeyVersion.SecretSeed] = 'S',
        [StrKeyVersion.PreAuthTx] = 'T',
        [StrKeyVersion.Sha256Hash] = 'X',
        [StrKeyVersion.SignedPayload] = 'P',
    };

    // Every StrKey entry point; each may only accept or throw StrKeyFormatException, and what it
    // accepts must re-encode to the same text.
    private static string? ParseStrKey(string text)
    {
        // The throwing Decode for the version the first character names, TryDecode (same checks,
        // no exception cost) for the others.
        foreach (var version in Versions)
        {
            var accepted = text.Length > 0 && text[0] == Letters[version]
                ? Accepts(() => StrKey.Decode(version, text), out var raw)
                : StrKey.TryDecode(version, text, out raw);
            if (accepted && StrKey.Encode(version, raw!) != text)
            {
                return $"{version} accepted, but re-encodes differently";
            }
        }

        if (Accepts(() => AccountId.Parse(text), out var account) && account.ToString() != text)
        {
            return "AccountId.Parse accepted, but prints differently";
        }

        if (Accepts(() => MuxedAccount.Parse(text), out var muxed) && muxed.ToString() != text)
        {
            return "MuxedAccount.Parse accepted, but prints differently";
        }

        if (Accepts(() => SignerKey.Parse(text), out var signer) && signer.ToString() != text)
        {
            return "SignerKey.Parse accepted, but prints differently";
        }

        if (Accepts(() => SecretSeed.Parse(text), out var seed) && seed.ToString() != text)
        {
            return "SecretSeed.Parse accepted, but prints differently";
        }

        return null;
    }

    private static bool Accepts<T>(Func<T> parse, out T value)
    {
        try
        {
            value = parse();
            return true;
        }
        catch (StrKeyFormatException)
        {
            value = default!;
            return false;
        }
    }

    private sealed class FuzzStats
    {
        private readonly List<string> _failures = [];
        private TimeSpan _slowest;
        private long _worstAllocation;

        public string Summary =>
            $"slowest case {_slowest.TotalMilliseconds:F2} ms, most allocated by one case {_worstAllocation} bytes " +
            $"(allowed: {FixedAllocation} + {PerInputByte} per input byte)";

        public void Record(int index, byte[] input, int size, Func<string?> run)
        {
            var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            string? problem;
            try
            {
                problem = run();
            }
            catch (Exception e)
            {
                problem = $"threw {e.GetType().Name}: {e.Message}";
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            _slowest = elapsed > _slowest ? elapsed : _slowest;
            _worstAllocation = Math.Max(_worstAllocation, allocated);
            if (elapsed > CaseTimeLimit)
            {
                problem ??= $"took {elapsed.TotalMilliseconds:F0} ms";
            }

            if (allocated > FixedAllocation + (PerInputByte * size))
            {
                problem ??= $"allocated {allocated} bytes for a {size}-byte input";
            }

            if (problem is not null && _failures.Count < 10)
            {
                _failures.Add($"case {index}: {problem}; input {Convert.ToHexStringLower(input)}");
            }
        }

        public void AssertClean(string what)
            => Assert.True(_failures.Count == 0, $"malformed {what} inputs broke the decoder; {RunSeed.Replay}\n{string.Join("\n", _failures)}");
    }

    /// <summary>Produces malformed envelopes: random bytes and many mutations of valid ones.</summary>
    private sealed class Mutator(Random r, byte[][] corpus)
    {
        private static readonly uint[] Interesting = [0, 1, 2, 3, 4, 5, 20, 21, 28, 29, 32, 64, 65, 100, 101, 0x100, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0xFFFFFFFE];

        public byte[] NextBytes()
        {
            var valid = corpus[r.Next(corpus.Length)];
            switch (r.Next(9))
            {
                case 0:
                    return Random(r.Next(0, 600));
                case 1:
                    return Flip(valid, r.Next(1, 9));
                case 2:
                    return valid[..r.Next(valid.Length)];
                case 3:
                    return Insert(valid, Random(r.Next(1, 16)));
                case 4:
                    return SetWord(valid, Interesting[r.Next(Interesting.Length)]);
                case 5:
                    return SetWord(SetWord(valid, Interesting[r.Next(Interesting.Length)]), (uint)r.Next());
                case 6:
                    var other = corpus[r.Next(corpus.Length)];
                    return [.. valid[..r.Next(valid.Length)], .. other[r.Next(other.Length)..]];
                case 7:
                    // A plausible envelope type followed by noise.
                    return [0, 0, 0, (byte)r.GetItems<int>([0, 2, 5], 1)[0], .. Random(r.Next(0, 400))];
                default:
                    return [.. valid, .. Random(r.Next(1, 8))];
            }
        }

        public string NextBase64()
        {
            var text = Convert.ToBase64String(NextBytes());
            var chars = text.ToCharArray().ToList();
            switch (r.Next(4))
            {
                case 0:
                    return text;
                case 1:
                    for (var k = r.Next(1, 4); k > 0 && chars.Count > 0; k--)
                    {
                        chars[r.Next(chars.Count)] = "AZaz09+/=-_ \n*é"[r.Next(15)];
                    }

                    return new string([.. chars]);
                case 2:
                    return text[..r.Next(text.Length + 1)];
                default:
                    return text + new string('=', r.Next(1, 4));
            }
        }

        private byte[] Random(int n)
        {
            var b = new byte[n];
            r.NextBytes(b);
            return b;
        }

        private byte[] Flip(byte[] input, int flips)
        {
            var b = (byte[])input.Clone();
            for (var i = 0; i < flips; i++)
            {
                b[r.Next(b.Length)] ^= (byte)(1 << r.Next(8));
            }

            return b;
        }

        private byte[] Insert(byte[] input, byte[] extra)
        {
            var at = r.Next(input.Length + 1);
            return [.. input[..at], .. extra, .. input[at..]];
        }

        // XDR is a sequence of 4-byte words: overwrite one (lengths, discriminants, flags) with a value.
        private byte[] SetWord(byte[] input, uint value)
        {
            var b = (byte[])input.Clone();
            var words = b.Length / 4;
            if (words == 0)
            {
                return b;
            }

            System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(r.Next(words) * 4), value);
            return b;
        }
    }
}
