using StackExchange.Redis;

namespace Watchtower.Tower.Tests.Storage;

/// <summary>The loopback servers the suite runs against (started by scripts/test.sh).</summary>
public static class TestServers
{
    public static string Redis => Require("WATCHTOWER_TEST_REDIS", "host:port of a Redis server");

    public static Uri RabbitMq => new(Require("WATCHTOWER_TEST_RABBITMQ", "amqp URI of a RabbitMQ broker"));

    public static ConnectionMultiplexer ConnectRedis() =>
        ConnectionMultiplexer.Connect(new ConfigurationOptions { EndPoints = { Redis }, AbortOnConnectFail = true, ConnectTimeout = 5000 });

    /// <summary>A key prefix no other test uses, so tests share one server without interfering.</summary>
    public static string UniquePrefix() => $"t{Guid.NewGuid():N}"[..13];

    private static string Require(string name, string what) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: it must name {what} (scripts/test.sh starts one on loopback).");
}
