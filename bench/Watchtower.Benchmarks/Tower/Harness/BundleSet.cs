using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Watchtower.Benchmarks.Channels;
using Watchtower.Channels.Protocol;
using Watchtower.Channels.Runtime;
using Watchtower.Channels.Transport;
using Watchtower.Contracts;
using Watchtower.Ledger;
using Watchtower.Protocol;
using Watchtower.Stellar;

namespace Watchtower.Benchmarks.Tower.Harness;

/// <summary>One wallet upload: the index of the wallet identity that signed it, and the sealed bundle.</summary>
internal readonly record struct Upload(int Wallet, byte[] Sealed);

/// <summary>
/// Sealed two-party bundles as wallets upload them: for every channel, two participants of the
/// channel library complete round 0 over the in-process transport, participant 0's bundle is mapped
/// to the tower format and sealed to the tower's key with one of <see cref="Wallets"/> (the
/// subscription identities), exactly as <see cref="SealingBundleSink"/> does. Generating costs about
/// a millisecond of CPU per channel, so sets are cached in a file and reused across runs.
/// </summary>
internal sealed class BundleSet : IDisposable
{
    private const string Magic = "WTBUNDLES2";

    private BundleSet(TowerSealingKey sealingKey, ImmutableArray<KeyPair> wallets, ImmutableArray<Upload> uploads)
    {
        SealingKey = sealingKey;
        Wallets = wallets;
        Uploads = uploads;
    }

    public TowerSealingKey SealingKey { get; }

    public ImmutableArray<KeyPair> Wallets { get; }

    public ImmutableArray<Upload> Uploads { get; }

    public static readonly ChannelTimeouts Timeouts = new(
        SynchronyDelay: TimeSpan.FromDays(1),
        TimeoutClaim: TimeSpan.FromDays(3),
        TimeoutClaimDelay: TimeSpan.FromDays(1),
        MaxRoundInterval: TimeSpan.FromDays(2),
        MaxClockSkew: TimeSpan.FromMinutes(1));

    /// <summary>Loads <paramref name="count"/> uploads from <paramref name="cachePath"/>, generating (and saving) the set when the file holds fewer.</summary>
    public static BundleSet LoadOrGenerate(string cachePath, int count, int wallets, Network network, TextWriter log)
    {
        if (File.Exists(cachePath) && TryLoad(cachePath, count, network) is { } cached)
        {
            log.WriteLine($"bundles: {count} from {cachePath}");
            return cached;
        }

        var set = Generate(count, wallets, network, log);
        set.Save(cachePath, network);
        return set;
    }

    private static BundleSet Generate(int count, int walletCount, Network network, TextWriter log)
    {
        var sealing = TowerSealingKey.Generate();
        var wallets = Enumerable.Range(0, walletCount).Select(_ => KeyPair.Random()).ToImmutableArray();
        var uploads = new Upload[count];
        // Round start a minute ago: deadlines (maxTime − D) lie days ahead of the real clock.
        var start = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60);
        var watch = Stopwatch.StartNew();
        var done = 0;
        Parallel.ForEach(Partitioner.Create(0, count, 256), new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, range =>
        {
            for (var i = range.Item1; i < range.Item2; i++)
            {
                var bundle = RoundZero(network, start);
                var wallet = i % walletCount;
                uploads[i] = new Upload(wallet, BundleSealer.Seal(bundle, sealing.PublicKey, wallets[wallet]).ToArray());
            }
            if (Interlocked.Add(ref done, range.Item2 - range.Item1) % 10_240 < 256)
            {
                log.WriteLine($"bundles: generated {Volatile.Read(ref done)}/{count} in {watch.Elapsed.TotalSeconds:F0} s");
            }
        });
        log.WriteLine($"bundles: generated {count} in {watch.Elapsed.TotalSeconds:F1} s");
        return new BundleSet(sealing, wallets, [.. uploads]);
    }

    /// <summary>A fresh two-party channel's round 0 (the refunds), as participant 0's wallet would upload it.</summary>
    private static Bundle RoundZero(Network network, DateTimeOffset start)
    {
        var keys = Enumerable.Range(0, 2).Select(_ => new ParticipantKeys(KeyPair.Random(), KeyPair.Random(), KeyPair.Random())).ToArray();
        var setup = SequenceNumber.FromLedger(7);
        var parameters = new ChannelParameters(
            network, keys[0].Ratchet.AccountId, setup, setup + 2,
            [.. keys.Select(k => new ChannelParticipant(k.Wallet.AccountId, k.Version.AccountId, k.Ratchet.AccountId, setup,
                [new Deposit(Asset.Native, Stroops.FromLumens(1_000))]))],
            Timeouts, 100,
            // As opening sets it: TIMEOUT_CLAIM − D after the set-up.
            start + Timeouts.TimeoutClaim - Timeouts.SynchronyDelay);
        var transport = new InProcessNetwork(2);
        var sinks = new[] { new RecordingBundleSink(), new RecordingBundleSink() };
        var runtimes = new ParticipantRuntime[2];
        for (var i = 0; i < 2; i++)
        {
            // Funding is taken as confirmed: only the signed round matters to the tower.
            var state = ChannelProtocol.FundingConfirmed(ChannelState.Create(parameters, i));
            runtimes[i] = ParticipantRuntime.CreateAsync(keys[i], state, transport.Connect(i), new NoLedger(),
                new Watchtower.Channels.Runtime.InMemoryChannelStore(), sinks[i], CancellationToken.None).GetAwaiter().GetResult();
        }

        if (runtimes[0].ProposeAtAsync(RoundOutcome.Refunds(parameters), closing: false, start, CancellationToken.None).GetAwaiter().GetResult() is { } error)
        {
            throw new ProtocolException(error);
        }

        while (runtimes[0].DrainInboxAsync(start, CancellationToken.None).GetAwaiter().GetResult()
            + runtimes[1].DrainInboxAsync(start, CancellationToken.None).GetAwaiter().GetResult() > 0)
        {
        }

        return sinks[0].Bundles[^1].ToTowerBundle() ?? throw new InvalidOperationException("round 0 produced no tower bundle");
    }

    private void Save(string path, Network network)
    {
        var temporary = path + ".tmp";
        using (var writer = new BinaryWriter(File.Create(temporary)))
        {
            writer.Write(Magic);
            writer.Write(network.Passphrase);
            writer.Write(SealingKey.ExportPrivateKey());
            writer.Write(Wallets.Length);
            foreach (var wallet in Wallets)
            {
                writer.Write(wallet.Seed.ToString());
            }

            writer.Write(Uploads.Length);
            foreach (var upload in Uploads)
            {
                writer.Write(upload.Wallet);
                writer.Write(upload.Sealed.Length);
                writer.Write(upload.Sealed);
            }
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static BundleSet? TryLoad(string path, int count, Network network)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        if (reader.ReadString() != Magic || reader.ReadString() != network.Passphrase)
        {
            return null;
        }

        var sealing = TowerSealingKey.FromPrivateKey(reader.ReadBytes(32));
        var wallets = Enumerable.Range(0, reader.ReadInt32()).Select(_ => KeyPair.FromSecret(reader.ReadString())).ToImmutableArray();
        var stored = reader.ReadInt32();
        if (stored < count)
        {
            sealing.Dispose();
            return null;
        }

        var uploads = new Upload[count];
        for (var i = 0; i < count; i++)
        {
            var wallet = reader.ReadInt32();
            uploads[i] = new Upload(wallet, reader.ReadBytes(reader.ReadInt32()));
        }

        return new BundleSet(sealing, wallets, [.. uploads]);
    }

    public void Dispose() => SealingKey.Dispose();
}
