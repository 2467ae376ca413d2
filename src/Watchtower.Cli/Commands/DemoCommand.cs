using System.CommandLine;
using Watchtower.Demo;

namespace Watchtower.Cli.Commands;

/// <summary>
/// <c>watchtower demo [--deadline] [--stack [--rabbitmq URI] [--redis HOST:PORT]] [--verbose]</c>:
/// the whole system in one process, telling its story step by step. Exit code 0 only when the
/// outcome checked on the ledger is right, 1 when it is not, 2 for unusable options.
/// </summary>
public static class DemoCommand
{
    public const string RabbitMqVariable = "WATCHTOWER_RABBITMQ";
    public const string RedisVariable = "WATCHTOWER_REDIS";

    public static Command Create()
    {
        var deadline = new Option<bool>("--deadline")
        {
            Description = "Show the force close on a deadline (nobody refreshes the channel) instead of a countered breach",
        };
        var stack = new Option<bool>("--stack")
        {
            Description = $"Run the tower on real RabbitMQ and Redis (--rabbitmq/--redis, or {RabbitMqVariable}/{RedisVariable}) instead of the in-memory bus and store",
        };
        var rabbit = new Option<string?>("--rabbitmq") { Description = "RabbitMQ URI for --stack, e.g. amqp://guest:guest@127.0.0.1:5672/" };
        var redis = new Option<string?>("--redis") { Description = "Redis host:port for --stack, e.g. 127.0.0.1:6379" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print the tower's own log lines" };
        var command = new Command("demo", "Run the watchtower story end to end in one process: network, tower, two wallets, a channel, and the tower defending the offline wallet")
        {
            deadline, stack, rabbit, redis, verbose,
        };
        command.SetAction(async (parse, ct) =>
        {
            var scenario = parse.GetValue(deadline) ? DemoScenario.Deadline : DemoScenario.Breach;
            DemoStack? servers = null;
            if (parse.GetValue(stack))
            {
                if (!TryResolveStack(parse.GetValue(rabbit), parse.GetValue(redis), out servers, out var problem))
                {
                    await parse.InvocationConfiguration.Error.WriteLineAsync(problem).ConfigureAwait(false);
                    return 2;
                }
            }
            else if (parse.GetValue(rabbit) is not null || parse.GetValue(redis) is not null)
            {
                await parse.InvocationConfiguration.Error.WriteLineAsync("--rabbitmq and --redis only apply with --stack").ConfigureAwait(false);
                return 2;
            }

            var outcome = await DemoRunner.RunAsync(new DemoOptions(scenario, servers, parse.GetValue(verbose)),
                parse.InvocationConfiguration.Output, TimeProvider.System, ct).ConfigureAwait(false);
            return outcome.ExitCode;
        });
        return command;
    }

    /// <summary>The servers for --stack: options first, then the environment.</summary>
    public static bool TryResolveStack(string? rabbitOption, string? redisOption, out DemoStack? stack, out string problem)
    {
        stack = null;
        var rabbit = rabbitOption ?? Environment.GetEnvironmentVariable(RabbitMqVariable);
        var redis = redisOption ?? Environment.GetEnvironmentVariable(RedisVariable);
        if (string.IsNullOrWhiteSpace(rabbit) || string.IsNullOrWhiteSpace(redis))
        {
            problem = $"--stack needs RabbitMQ and Redis: pass --rabbitmq amqp://… and --redis host:port, or set {RabbitMqVariable} and {RedisVariable}";
            return false;
        }

        if (!Uri.TryCreate(rabbit, UriKind.Absolute, out var uri) || uri.Scheme is not ("amqp" or "amqps"))
        {
            problem = $"the RabbitMQ address must be an amqp:// or amqps:// URI, got '{rabbit}'";
            return false;
        }

        problem = "";
        stack = new DemoStack(uri, redis);
        return true;
    }
}
