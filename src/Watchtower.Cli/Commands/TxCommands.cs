using System.CommandLine;
using Watchtower.Cli.Tx;

namespace Watchtower.Cli.Commands;

/// <summary><c>watchtower tx …</c>: transaction tools.</summary>
public static class TxCommands
{
    public static Command Create()
    {
        var tx = new Command("tx", "Transaction tools");
        tx.Add(CreateDecode());
        return tx;
    }

    private static Command CreateDecode()
    {
        var network = CommonOptions.Network();
        var envelopes = new Argument<string[]>("envelopes")
        {
            Description = "Base64 transaction envelopes; '-' or none reads them from stdin, one per line",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var decode = new Command("decode", "Decode envelopes and print one JSON object per line (hash, re-encoding, fields, signatures)")
        {
            network,
            envelopes,
        };
        decode.SetAction(parse =>
        {
            var net = CommonOptions.ResolveNetwork(parse.GetRequiredValue(network));
            var args = parse.GetValue(envelopes) ?? [];
            var output = parse.InvocationConfiguration.Output;
            return args.Length == 0 || (args.Length == 1 && args[0] == "-")
                ? TxDecoder.Run(ReadLines(Console.In), net, output)
                : TxDecoder.Run(args, net, output);
        });
        return decode;
    }

    private static IEnumerable<string> ReadLines(TextReader reader)
    {
        while (reader.ReadLine() is { } line)
        {
            yield return line;
        }
    }
}
