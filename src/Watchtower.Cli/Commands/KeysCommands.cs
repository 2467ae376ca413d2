using System.CommandLine;
using System.Text.Json;
using Watchtower.Contracts;
using Watchtower.Stellar;

namespace Watchtower.Cli.Commands;

/// <summary><c>watchtower keys …</c>: key tools.</summary>
public static class KeysCommands
{
    public static Command Create()
    {
        var keys = new Command("keys", "Key tools");
        keys.Add(CreateGenerate());
        keys.Add(CreateTower());
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

    /// <summary>
    /// The two public keys an operator hands to wallets (`channel host|join --tower-receipt-key`,
    /// `--tower-sealing-key`), derived from the service's secrets as it is configured with them.
    /// </summary>
    private static Command CreateTower()
    {
        var receipt = new Option<string>("--receipt-secret")
        {
            Description = "The tower's receipt secret (Tower:Keys:ReceiptSecret): S…, env:VARIABLE or file:PATH",
            Required = true,
        };
        var sealing = new Option<string>("--sealing-key")
        {
            Description = "The tower's X25519 sealing key (Tower:Keys:SealingKey, base64 of 32 bytes): BASE64, env:VARIABLE or file:PATH",
            Required = true,
        };
        var tower = new Command("tower", "Print the public keys wallets need from a tower's receipt secret and sealing key (--tower-receipt-key, --tower-sealing-key)")
        {
            receipt,
            sealing,
        };
        tower.SetAction(parse =>
        {
            var receiptKey = KeyPair.FromSecret(ReadSecret(parse.GetRequiredValue(receipt))).AccountId;
            byte[] raw;
            try
            {
                raw = Convert.FromBase64String(ReadSecret(parse.GetRequiredValue(sealing)));
            }
            catch (FormatException)
            {
                throw new FormatException("the sealing key is not base64");
            }

            using var sealingKey = TowerSealingKey.FromPrivateKey(raw);
            var output = parse.InvocationConfiguration.Output;
            output.WriteLine($"receipt key: {receiptKey}");
            output.WriteLine($"sealing key: {sealingKey.PublicKey}");
            return 0;
        });
        return tower;
    }

    /// <summary>A secret given as itself, env:VARIABLE or file:PATH (first line), trimmed.</summary>
    private static string ReadSecret(string value)
    {
        if (value.StartsWith("env:", StringComparison.Ordinal))
        {
            return (System.Environment.GetEnvironmentVariable(value[4..]) ?? throw new FormatException($"environment variable {value[4..]} is not set")).Trim();
        }

        if (value.StartsWith("file:", StringComparison.Ordinal))
        {
            return (File.ReadLines(value[5..]).FirstOrDefault() ?? throw new FormatException($"{value[5..]} is empty")).Trim();
        }

        return value.Trim();
    }
}
