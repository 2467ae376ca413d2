using System.ComponentModel.DataAnnotations;

namespace Watchtower.Tower.Hosting;

/// <summary>Which loops a process runs; several replicas may run any mix.</summary>
[Flags]
public enum WatchtowerRoles
{
    None = 0,
    Ingest = 1,
    Tail = 2,
    Respond = 4,
    All = Ingest | Tail | Respond,
}

/// <summary>Process-level settings (configuration section "Tower").</summary>
public sealed class WatchtowerOptions : IValidatableObject
{
    public WatchtowerRoles Roles { get; set; } = WatchtowerRoles.All;

    /// <summary>In-memory bus and store in this process (the one-command demo). Production uses Redis and RabbitMQ.</summary>
    public bool Embedded { get; set; }

    /// <summary>
    /// StackExchange.Redis configuration string: one server ("127.0.0.1:6379") or Sentinels and the
    /// service they watch ("s1:26379,s2:26379,s3:26379,serviceName=wt"), which connects to the
    /// primary and follows it through a failover.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>RabbitMQ URI (e.g. "amqp://guest:guest@127.0.0.1:5672/"): credentials, virtual host, TLS, and the node unless <see cref="RabbitMqNodes"/> is set.</summary>
    public Uri? RabbitMq { get; set; }

    /// <summary>
    /// A RabbitMQ cluster's nodes, comma-separated "host[:port]" (e.g. "rabbit-0:5672,rabbit-1:5672,rabbit-2:5672"):
    /// the bus connects to the first that answers, in this order, and moves to the next when its node is lost.
    /// </summary>
    public string? RabbitMqNodes { get; set; }

    /// <summary>Prefix of every Redis key (one tower deployment per prefix).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]{1,32}$")]
    public string KeyPrefix { get; set; } = "wt";

    /// <summary>How often a process without the tailer reads the latest ledger for receipts.</summary>
    public TimeSpan WatermarkPollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Redis's endpoints for messages (the configuration string may hold a password).</summary>
    public string RedisEndpoints() =>
        string.IsNullOrWhiteSpace(Redis) ? "" : string.Join(",", StackExchange.Redis.ConfigurationOptions.Parse(Redis).EndPoints
            .Select(e => e is System.Net.DnsEndPoint d ? $"{d.Host}:{d.Port}" : e.ToString()));

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Roles == WatchtowerRoles.None)
        {
            yield return new ValidationResult("at least one role (ingest, tail, respond) is required", [nameof(Roles)]);
        }
        if (!Embedded && string.IsNullOrWhiteSpace(Redis))
        {
            yield return new ValidationResult("Tower:Redis is required unless Tower:Embedded is true", [nameof(Redis)]);
        }
        if (!Embedded && RabbitMq is null)
        {
            yield return new ValidationResult("Tower:RabbitMq is required unless Tower:Embedded is true", [nameof(RabbitMq)]);
        }
        if (RabbitMq is { } uri && uri.Scheme is not ("amqp" or "amqps" or "rabbitmq"))
        {
            yield return new ValidationResult("Tower:RabbitMq must be an amqp:// or amqps:// URI", [nameof(RabbitMq)]);
        }
        if (!string.IsNullOrWhiteSpace(RabbitMqNodes))
        {
            if (RabbitMq is null)
            {
                yield return new ValidationResult("Tower:RabbitMqNodes needs Tower:RabbitMq (credentials and virtual host)", [nameof(RabbitMqNodes)]);
            }
            else if (!TowerBroker.TryParseNodes(RabbitMqNodes, RabbitMq, out _, out var problem))
            {
                yield return new ValidationResult(problem, [nameof(RabbitMqNodes)]);
            }
        }
        if (!Embedded && !string.IsNullOrWhiteSpace(Redis) && RedisProblem(Redis) is { } redisProblem)
        {
            yield return new ValidationResult(redisProblem, [nameof(Redis)]);
        }
    }

    private static string? RedisProblem(string configuration)
    {
        try
        {
            var parsed = StackExchange.Redis.ConfigurationOptions.Parse(configuration);
            return parsed.EndPoints.Count == 0 ? "Tower:Redis names no server (host:port, or Sentinels with serviceName=…)" : null;
        }
        catch (ArgumentException e)
        {
            return $"Tower:Redis is not a StackExchange.Redis configuration string: {e.Message}";
        }
    }
}

/// <summary>
/// The tower's secrets (configuration section "Tower:Keys"); each given inline (e.g. from an
/// environment variable Tower__Keys__ReceiptSecret) or as a file path (…File, e.g. a mounted secret).
/// </summary>
public sealed class TowerKeyOptions
{
    /// <summary>ed25519 secret seed (S…) signing receipts.</summary>
    public string? ReceiptSecret { get; set; }

    public string? ReceiptSecretFile { get; set; }

    /// <summary>X25519 private key (32 bytes, base64) that bundles are sealed to.</summary>
    public string? SealingKey { get; set; }

    public string? SealingKeyFile { get; set; }

    /// <summary>Secret seed (S…) of the funded account that pays fee bumps; without it no fee bump is made.</summary>
    public string? FeeAccountSecret { get; set; }

    public string? FeeAccountSecretFile { get; set; }

    /// <summary>
    /// The operator's ed25519 public key (G…): subscription commands must be signed by it. Unset,
    /// the tower obeys no subscription command (subscriptions can then only be written to the store directly).
    /// </summary>
    public string? OperatorKey { get; set; }

    /// <summary>
    /// Accept key files that group or others may read (logged as a warning). Off by default: a
    /// secret any other user of the machine can read is not a secret.
    /// </summary>
    public bool AllowInsecureKeyFiles { get; set; }

    /// <summary>The configured key files (those given as files, not inline), with their setting names.</summary>
    internal IEnumerable<(string Setting, string Path)> Files()
    {
        if (string.IsNullOrWhiteSpace(ReceiptSecret) && !string.IsNullOrWhiteSpace(ReceiptSecretFile))
        {
            yield return ("Tower:Keys:ReceiptSecretFile", ReceiptSecretFile);
        }
        if (string.IsNullOrWhiteSpace(SealingKey) && !string.IsNullOrWhiteSpace(SealingKeyFile))
        {
            yield return ("Tower:Keys:SealingKeyFile", SealingKeyFile);
        }
        if (string.IsNullOrWhiteSpace(FeeAccountSecret) && !string.IsNullOrWhiteSpace(FeeAccountSecretFile))
        {
            yield return ("Tower:Keys:FeeAccountSecretFile", FeeAccountSecretFile);
        }
    }

    /// <summary>Permission bits that let group or others read, write or run a file.</summary>
    public const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    /// <summary>
    /// A key file's permission bits (None on Windows, where they do not apply). A symbolic link (a
    /// Kubernetes secret mount) is judged by its target.
    /// </summary>
    public static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows()
            ? UnixFileMode.None
            : File.GetUnixFileMode(File.ResolveLinkTarget(path, returnFinalTarget: true)?.FullName ?? path);

    internal static string? Resolve(string? inline, string? file) =>
        !string.IsNullOrWhiteSpace(inline) ? inline.Trim()
        : !string.IsNullOrWhiteSpace(file) ? File.ReadAllText(file).Trim()
        : null;
}
