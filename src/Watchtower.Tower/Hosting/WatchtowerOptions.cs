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

    /// <summary>StackExchange.Redis configuration string (e.g. "127.0.0.1:6379").</summary>
    public string? Redis { get; set; }

    /// <summary>RabbitMQ URI (e.g. "amqp://guest:guest@127.0.0.1:5672/").</summary>
    public Uri? RabbitMq { get; set; }

    /// <summary>Prefix of every Redis key (one tower deployment per prefix).</summary>
    [Required, RegularExpression("^[A-Za-z0-9_-]{1,32}$")]
    public string KeyPrefix { get; set; } = "wt";

    /// <summary>How often a process without the tailer reads the latest ledger for receipts.</summary>
    public TimeSpan WatermarkPollInterval { get; set; } = TimeSpan.FromSeconds(5);

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

    internal static string? Resolve(string? inline, string? file) =>
        !string.IsNullOrWhiteSpace(inline) ? inline.Trim()
        : !string.IsNullOrWhiteSpace(file) ? File.ReadAllText(file).Trim()
        : null;
}
