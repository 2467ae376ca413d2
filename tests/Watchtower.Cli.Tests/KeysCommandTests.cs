using System.CommandLine;
using Watchtower.Contracts;
using Watchtower.Stellar;
using Xunit;

namespace Watchtower.Cli.Tests;

public sealed class KeysCommandTests
{
    [Fact]
    public async Task KeysTower_PrintsThePublicKeysOfTheServicesSecrets()
    {
        var receipt = KeyPair.Random();
        using var sealing = TowerSealingKey.Generate();
        var file = Path.GetTempFileName();
        try
        {
            // As an operator provisions it: `head -c 32 /dev/urandom | base64 > sealing-key`.
            await File.WriteAllTextAsync(file, Convert.ToBase64String(sealing.ExportPrivateKey()) + "\n");

            var (exit, output, error) = await RunAsync("keys", "tower", "--receipt-secret", receipt.Seed.ToString(), "--sealing-key", "file:" + file);

            Assert.Equal(0, exit);
            Assert.Equal("", error);
            Assert.Equal($"receipt key: {receipt.AccountId}{Environment.NewLine}sealing key: {sealing.PublicKey}{Environment.NewLine}", output);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task KeysTower_WithASealingKeyThatIsNotBase64_IsOneErrorLine()
    {
        var (exit, _, error) = await RunAsync("keys", "tower", "--receipt-secret", KeyPair.Random().Seed.ToString(), "--sealing-key", "not base64!");

        Assert.Equal(1, exit);
        Assert.Equal($"error: the sealing key is not base64{Environment.NewLine}", error);
    }

    private static async Task<(int Exit, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var exit = await CliApp.RunAsync(args, new InvocationConfiguration { Output = output, Error = error }, CancellationToken.None);
        return (exit, output.ToString(), error.ToString());
    }
}
