using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Nodes;
using Watchtower.Channels.Transport;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.TowerClient.Hosting;

/// <summary>
/// What a two-terminal participant needs besides its channel state to come back after a restart:
/// the ledger it uses, where it listens, the session its links are bound to, every peer's
/// identity and address, and the tower it uploads to (if any). Stored as <c>session.json</c>
/// beside <c>channel.state</c> (no wallet secrets: those stay in the state file).
/// </summary>
public sealed record PeerSession(string Horizon, string Listen, ImmutableArray<byte> Context, ImmutableArray<PeerContact> Peers, TowerSettings? Tower)
{
    public const string FileName = "session.json";
    public const string StateFileName = "channel.state";

    private const int FormatVersion = 1;

    public static string PathIn(DirectoryInfo dir) => Path.Combine(dir.FullName, FileName);

    public static string StatePathIn(DirectoryInfo dir) => Path.Combine(dir.FullName, StateFileName);

    /// <summary>Write beside the state, replacing atomically (temp file, flush, rename).</summary>
    public async Task SaveAsync(DirectoryInfo dir, CancellationToken ct)
    {
        var json = new JsonObject
        {
            ["version"] = FormatVersion,
            ["horizon"] = Horizon,
            ["listen"] = Listen,
            ["context"] = Convert.ToHexString(Context.AsSpan()),
            ["peers"] = new JsonArray([.. Peers.Select(p => (JsonNode)new JsonObject { ["identity"] = p.Identity.ToString(), ["address"] = p.Address })]),
        };
        if (Tower is { } tower)
        {
            // The broker URI may carry the broker's user and password: the directory is ours alone (see RefuseExistingAsync).
            json["tower"] = new JsonObject
            {
                ["amqp"] = tower.Amqp.ToString(),
                ["receiptKey"] = tower.ReceiptKey.ToString(),
                ["sealingKey"] = tower.SealingKey.ToString(),
                ["prefix"] = tower.Prefix,
                ["subscription"] = tower.Subscription.ToString(),
            };
        }

        dir.Create();
        var path = PathIn(dir);
        var temp = path + ".tmp";
        var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None);
        await using (stream.ConfigureAwait(false))
        {
            await JsonSerializer.SerializeAsync(stream, json, JsonSerializerOptionsCache.Indented, ct).ConfigureAwait(false);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The stored session; a missing or damaged file is reported, never guessed around.</summary>
    public static async Task<PeerSession> LoadAsync(DirectoryInfo dir, CancellationToken ct)
    {
        var path = PathIn(dir);
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"{path} does not exist: this directory holds no two-terminal channel (see `channel host` / `channel join`)");
        }

        try
        {
            var json = JsonNode.Parse(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) as JsonObject
                ?? throw new InvalidDataException($"{path} is not a JSON object");
            if ((int?)json["version"] != FormatVersion)
            {
                throw new InvalidDataException($"{path}: unsupported session format");
            }

            var context = Convert.FromHexString(Text(json, "context"));
            if (context.Length != TcpPeerTransport.ContextSize)
            {
                throw new InvalidDataException($"{path}: the session context must be {TcpPeerTransport.ContextSize} bytes");
            }

            var peers = (json["peers"] as JsonArray ?? throw new InvalidDataException($"{path}: no peers"))
                .Select(p => p as JsonObject ?? throw new InvalidDataException($"{path}: a peer is not an object"))
                .Select(p => new PeerContact(AccountId.Parse(Text(p, "identity")), (string?)p["address"]))
                .ToImmutableArray();
            TowerSettings? tower = null;
            if (json["tower"] is { } t)
            {
                var o = t as JsonObject ?? throw new InvalidDataException($"{path}: 'tower' is not an object");
                tower = new TowerSettings(
                    new Uri(Text(o, "amqp"), UriKind.Absolute), AccountId.Parse(Text(o, "receiptKey")), TowerPublicKey.Parse(Text(o, "sealingKey")),
                    Text(o, "prefix"), Guid.Parse(Text(o, "subscription")));
            }

            return new PeerSession(Text(json, "horizon"), Text(json, "listen"), [.. context], peers, tower);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new InvalidDataException($"{path} is damaged: {e.Message}", e);
        }
    }

    private static string Text(JsonObject json, string name) =>
        (string?)json[name] ?? throw new InvalidDataException($"the session has no '{name}'");

    private static class JsonSerializerOptionsCache
    {
        public static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };
    }
}
