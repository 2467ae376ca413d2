using StackExchange.Redis;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>The loopback servers the suite runs against (started by scripts/test.sh).</summary>
public static class TestServers
{
    public static string Redis => Require("WATCHTOWER_TEST_REDIS", "host:port of a Redis server");

    public static Uri RabbitMq => new(Require("WATCHTOWER_TEST_RABBITMQ", "amqp URI of a RabbitMQ broker"));

    /// <summary>The 3-node RabbitMQ cluster: one amqp URI per node, in the order of <see cref="RabbitMqNodeNames"/>.</summary>
    public static IReadOnlyList<Uri> RabbitMqCluster =>
        [.. Require(RabbitMqClusterVariable, "the cluster's amqp URIs, comma-separated").Split(',').Select(u => new Uri(u))];

    /// <summary>The cluster nodes' Erlang names (for rabbitmqctl -n), one per <see cref="RabbitMqCluster"/> URI.</summary>
    public static IReadOnlyList<string> RabbitMqNodeNames => Require("WATCHTOWER_TEST_RABBITMQ_NODES", "the cluster nodes' names, comma-separated").Split(',');

    /// <summary>StackExchange.Redis configuration string of the Sentinels and their service ("…,serviceName=wt").</summary>
    public static string RedisSentinel => Require(RedisSentinelVariable, "the Redis Sentinels and serviceName");

    /// <summary>The folder scripts/services.sh keeps the cluster's Redis configuration and pid files in.</summary>
    public static string ServicesDirectory => Require("WATCHTOWER_TEST_SERVICES_DIR", "the services folder of scripts/services.sh");

    private const string RabbitMqClusterVariable = "WATCHTOWER_TEST_RABBITMQ_CLUSTER";
    private const string RedisSentinelVariable = "WATCHTOWER_TEST_REDIS_SENTINEL";

    /// <summary>
    /// Why the cluster tests cannot run here, or null: they skip without the cluster's variables,
    /// unless WATCHTOWER_TEST_REQUIRE_CLUSTER is set (scripts/test.sh), where they must run.
    /// </summary>
    public static string? ClusterSkipReason =>
        Environment.GetEnvironmentVariable("WATCHTOWER_TEST_REQUIRE_CLUSTER") is { Length: > 0 }
        || (Environment.GetEnvironmentVariable(RabbitMqClusterVariable) is { Length: > 0 } && Environment.GetEnvironmentVariable(RedisSentinelVariable) is { Length: > 0 })
            ? null
            : $"needs the clustered RabbitMQ and Redis: {RabbitMqClusterVariable} and {RedisSentinelVariable} are not set (scripts/test.sh starts them; by hand: scripts/services.sh start DIR REDIS AMQP CLUSTER_REDIS CLUSTER_AMQP, then source DIR/cluster.env)";

    public static ConnectionMultiplexer ConnectRedis() =>
        ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { Redis }, AbortOnConnectFail = true, ConnectTimeout = 5000 });

    /// <summary>A key prefix no other test uses, so tests share one server without interfering.</summary>
    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..13];

    private static string Require(string name, string what) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: it must name {what} (scripts/test.sh starts one on loopback).");
}
