using System.Runtime.InteropServices;
using Perfolizer.Horology;

namespace Watchtower.Benchmarks;

/// <summary>
/// The CPU time consumed by this process (all threads, including the GC), as a BenchmarkDotNet
/// clock. On the shared 2-core machine other builds keep the load average far above 2, which
/// inflates wall-clock figures 2–4× at random; CPU time only counts the cycles our code actually
/// ran, so figures stay comparable with quiet-machine references. Linux only.
/// </summary>
public sealed partial class ProcessCpuClock : IClock
{
    public static readonly ProcessCpuClock Instance = new();

    private const int ClockProcessCpuTimeId = 2;

    public string Title => "ProcessCpu";

    public bool IsAvailable => OperatingSystem.IsLinux();

    public Frequency Frequency => Frequency.GHz;

    public long GetTimestamp()
    {
        if (clock_gettime(ClockProcessCpuTimeId, out var ts) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_PROCESS_CPUTIME_ID) failed");
        }

        return (ts.Seconds * 1_000_000_000) + ts.Nanoseconds;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", SetLastError = false)]
    private static partial int clock_gettime(int clockId, out TimeSpec time);
}
