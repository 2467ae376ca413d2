using System.Runtime.InteropServices;
using Watchtower.Cli;

// SIGINT and SIGTERM cancel the running command so that long-running ones (standalone, channel
// watch, demo) dispose their servers and exit cleanly; a container runtime stops us with SIGTERM.
using var stopping = new CancellationTokenSource();
void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stopping.Cancel();
}

using var onInterrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
using var onTerminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
var configuration = new System.CommandLine.InvocationConfiguration { ProcessTerminationTimeout = null };
return await CliApp.RunAsync(args, configuration, stopping.Token).ConfigureAwait(false);
