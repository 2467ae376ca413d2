using MassTransit;
using RabbitMQ.Client;

namespace Watchtower.Tower.Hosting;

/// <summary>Bus settings (configuration section "Tower:Bus").</summary>
public sealed class TowerBusOptions
{
    /// <summary>
    /// Declare the tower's queues (and their <c>_error</c>/<c>_skipped</c> queues) as quorum queues,
    /// replicated over the RabbitMQ cluster, so a broker node's loss loses no upload or trigger.
    /// Turn off only for a broker without them (RabbitMQ before 3.8).
    /// </summary>
    public bool QuorumQueues { get; set; } = true;
}

/// <summary>One RabbitMQ node of <see cref="WatchtowerOptions.RabbitMqNodes"/>.</summary>
public sealed record BrokerNode(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>How the tower reaches RabbitMQ: one node or a cluster, and how its queues are declared.</summary>
public static class TowerBroker
{
    /// <summary>
    /// Parses a comma-separated "host[:port]" list (a node without a port takes the URI's, else
    /// 5672, or 5671 for amqps). Empty or absent: no cluster, the URI's host alone.
    /// </summary>
    public static bool TryParseNodes(string? list, Uri broker, out IReadOnlyList<BrokerNode> nodes, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(broker);
        var parsed = new List<BrokerNode>();
        nodes = parsed;
        problem = null;
        if (string.IsNullOrWhiteSpace(list))
        {
            return true;
        }
        var defaultPort = broker.Port > 0 ? broker.Port : broker.Scheme == "amqps" ? 5671 : 5672;
        foreach (var entry in list.Split(',', StringSplitOptions.TrimEntries))
        {
            // Parsed as an authority, so IPv6 literals ("[::1]:5672") work; anything beyond host and port is refused.
            if (entry.Length == 0 || !Uri.TryCreate($"amqp://{entry}", UriKind.Absolute, out var uri)
                || uri.UserInfo.Length > 0 || uri.PathAndQuery != "/" || uri.Fragment.Length > 0 || entry.Contains('/', StringComparison.Ordinal))
            {
                problem = $"Tower:RabbitMqNodes: '{entry}' is not host or host:port";
                nodes = [];
                return false;
            }
            parsed.Add(new BrokerNode(uri.Host, uri.Port > 0 ? uri.Port : defaultPort));
        }
        return true;
    }

    /// <summary>The nodes to connect to, in order: the configured cluster, else the URI's host.</summary>
    public static IReadOnlyList<BrokerNode> NodesOf(WatchtowerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var broker = options.RabbitMq ?? throw new InvalidOperationException("Tower:RabbitMq is required");
        if (!TryParseNodes(options.RabbitMqNodes, broker, out var nodes, out var problem))
        {
            throw new InvalidOperationException(problem);
        }
        return nodes.Count > 0 ? nodes : [new BrokerNode(broker.Host, broker.Port > 0 ? broker.Port : broker.Scheme == "amqps" ? 5671 : 5672)];
    }

    /// <summary>
    /// The bus's host: credentials, virtual host and TLS from the URI; with a cluster, the nodes in
    /// their configured order, the next one tried whenever the connection is lost.
    /// </summary>
    public static void ConfigureHost(IRabbitMqBusFactoryConfigurator cfg, WatchtowerOptions options)
    {
        ArgumentNullException.ThrowIfNull(cfg);
        ArgumentNullException.ThrowIfNull(options);
        var broker = options.RabbitMq ?? throw new InvalidOperationException("Tower:RabbitMq is required");
        var nodes = string.IsNullOrWhiteSpace(options.RabbitMqNodes) ? [] : NodesOf(options);
        cfg.Host(broker, h =>
        {
            if (nodes.Count > 0)
            {
                h.UseCluster(c =>
                {
                    foreach (var node in nodes)
                    {
                        c.Node(node.ToString());
                    }
                });
            }
        });
    }

    /// <summary>
    /// Declares a tower queue as a quorum queue on RabbitMQ (durable, not exclusive, not auto-delete,
    /// as quorum queues must be); MassTransit copies the queue type to the endpoint's _error and
    /// _skipped queues. Other transports (the embedded in-memory bus) are left as they are.
    /// </summary>
    public static void ConfigureQueue(IReceiveEndpointConfigurator endpoint, TowerBusOptions bus)
    {
        ArgumentNullException.ThrowIfNull(bus);
        if (bus.QuorumQueues && endpoint is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.Durable = true;
            rabbit.AutoDelete = false;
            rabbit.SetQuorumQueue();
        }
    }

    /// <summary>
    /// Declares a tower queue as its MassTransit receive endpoint declares it (a durable fanout
    /// exchange of the queue's name bound to the durable queue, quorum unless turned off), for a
    /// sender that must not depend on a consumer having run first. Idempotent.
    /// </summary>
    public static async Task DeclareQueueAsync(WatchtowerOptions options, TowerBusOptions bus, string queue, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(bus);
        var factory = new ConnectionFactory { Uri = options.RabbitMq!, ClientProvidedName = "watchtower-declare" };
        await using var connection = await factory.CreateConnectionAsync(Endpoints(options, factory), ct).ConfigureAwait(false);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: ct).ConfigureAwait(false);
        await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct).ConfigureAwait(false);
        var arguments = bus.QuorumQueues ? new Dictionary<string, object?> { [RabbitMQ.Client.Headers.XQueueType] = "quorum" } : null;
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments, cancellationToken: ct).ConfigureAwait(false);
        await channel.QueueBindAsync(queue, queue, "", cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>The AMQP endpoints of the configured nodes, for direct RabbitMQ.Client connections.</summary>
    public static IReadOnlyList<AmqpTcpEndpoint> Endpoints(WatchtowerOptions options, ConnectionFactory factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return [.. NodesOf(options).Select(n => new AmqpTcpEndpoint(n.Host.Trim('[', ']'), n.Port, factory.Ssl))];
    }
}
