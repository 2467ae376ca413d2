namespace Watchtower.Contracts.Messages;

/// <summary>
/// Where wallets and operators send the message records: the tower's ingestion queues, every
/// name derived from the deployment's key prefix (one deployment per prefix, so several towers or
/// test runs can share a broker without consuming each other's messages).
/// </summary>
public static class IngestionQueues
{
    public static string UploadBundle(string keyPrefix) => $"{keyPrefix}-upload-bundle";

    public static string ForgetChannel(string keyPrefix) => $"{keyPrefix}-forget-channel";

    public static string Subscriptions(string keyPrefix) => $"{keyPrefix}-subscriptions";

    public static string AuditChannel(string keyPrefix) => $"{keyPrefix}-audit-channel";

    /// <summary>
    /// The address senders use for a tower queue: its exchange, to which MassTransit binds each
    /// receive endpoint's queue of the same name. Never "queue:…": sending there makes MassTransit
    /// declare the queue without arguments, i.e. as a classic queue, which RabbitMQ refuses
    /// (PRECONDITION_FAILED) once the tower has declared it a quorum queue.
    /// </summary>
    public static Uri SendAddress(string queue) => new($"exchange:{queue}");
}
