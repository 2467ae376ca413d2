using System.CommandLine;
using System.Text.Json;
using Watchtower.Stellar;

namespace Watchtower.Cli.Commands;

/// <summary><c>watchtower keys …</c>: key tools.</summary>
public static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "Key tools");
        keys.Add(CreateGenerate());
        return keys;
    }

    private static Command CreateGenerate()
    {
        var json = new Option<bool>("--json") { Description = "Print {\"accountId\", \"secretSeed\"} as one JSON line" };
        var generate = new Command("generate", "Generate a new ed25519 keypair and print its G… account id and S… secret seed")
        {
            json,
        };
        generate.SetAction(parse =>
        {
            var pair = KeyPair.Random();
            var output = parse.InvocationConfiguration.Output;
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(
                    new Dictionary<string, string> { ["accountId"] = pair.AccountId.ToString(), ["secretSeed"] = pair.Seed.ToString() }));
            }
            else
            {
                output.WriteLine($"account id:  {pair.AccountId}");
                output.WriteLine($"secret seed: {pair.Seed}");
            }

            return 0;
        });
        return generate;
    }
}
