using System.ComponentModel.DataAnnotations;
using Watchtower.Tower.Hosting;
using Xunit;

namespace Watchtower.Tower.Tests.Host;

public sealed class TowerBrokerTests
{
    private static readonly Uri Broker = new("amqp://tower:secret@rabbit-0:5673/wt");

    [Fact]
    public void Nodes_AreParsedInOrder_AndTakeTheUrisPortWhenTheyHaveNone()
    {
        Assert.True(TowerBroker.TryParseNodes(" rabbit-0:5672, rabbit-1 ,[::1]:5999", Broker, out var nodes, out var problem));

        Assert.Null(problem);
        Assert.Equal([new BrokerNode("rabbit-0", 5672), new BrokerNode("rabbit-1", 5673), new BrokerNode("[::1]", 5999)], nodes);
    }

    [Theory]
    [InlineData("amqp://rabbit-0:5672")]
    [InlineData("rabbit-0:5672/vhost")]
    [InlineData("user@rabbit-0")]
    [InlineData("rabbit-0,,rabbit-1")]
    [InlineData("rabbit-0:notaport")]
    public void Nodes_OtherThanHostAndPort_AreRefused(string list)
    {
        Assert.False(TowerBroker.TryParseNodes(list, Broker, out var nodes, out var problem));

        Assert.Empty(nodes);
        Assert.StartsWith("Tower:RabbitMqNodes:", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void NoNodes_MeansTheUrisHostAlone_WithTheSchemesDefaultPort()
    {
        var options = new WatchtowerOptions { RabbitMq = new Uri("amqps://rabbit.example/") };

        Assert.Equal([new BrokerNode("rabbit.example", 5671)], TowerBroker.NodesOf(options));
    }

    [Theory]
    [InlineData("127.0.0.1:26379,127.0.0.1:26380,serviceName=wt", null, null)]
    [InlineData("serviceName=wt", null, "Tower:Redis names no server")]
    [InlineData("127.0.0.1:6379,nosuchoption=1", null, "Tower:Redis is not a StackExchange.Redis configuration string")]
    [InlineData("127.0.0.1:6379", "rabbit-0:5672,rabbit-1:x", "Tower:RabbitMqNodes: 'rabbit-1:x'")]
    public void Options_ValidateTheRedisConfigurationAndTheNodes(string redis, string? nodes, string? expected)
    {
        var options = new WatchtowerOptions { Redis = redis, RabbitMq = Broker, RabbitMqNodes = nodes };

        var problems = options.Validate(new ValidationContext(options)).Select(r => r.ErrorMessage).ToList();

        if (expected is null)
        {
            Assert.Empty(problems);
        }
        else
        {
            Assert.Contains(problems, p => p!.StartsWith(expected, StringComparison.Ordinal));
        }
    }
}
