using Watchtower.Channels.Runtime;
using Xunit;

namespace Watchtower.Channels.Tests;

public sealed class ChannelStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wt-channel-store").FullName;

    [Fact]
    public async Task Save_ReplacesTheFileWholeAndLeavesNoTemporaryBehind()
    {
        var store = new FileChannelStore(Path.Combine(_dir, "alice.channel"));
        Assert.Null(await store.LoadAsync(CancellationToken.None));
        await store.SaveAsync(new byte[] { 1, 2, 3 }, CancellationToken.None);
        await store.SaveAsync(new byte[] { 4, 5 }, CancellationToken.None);
        Assert.Equal([4, 5], await store.LoadAsync(CancellationToken.None));
        Assert.Equal(["alice.channel"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Save_CreatesMissingDirectories_AndAnotherStoreOnThePathReadsIt()
    {
        var path = Path.Combine(_dir, "nested", "deeper", "carol.channel");
        await new FileChannelStore(path).SaveAsync(new byte[] { 42 }, CancellationToken.None);
        Assert.Equal([42], await new FileChannelStore(path).LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task InterruptedWrite_LeavesThePreviousStateReadable()
    {
        var path = Path.Combine(_dir, "bob.channel");
        var store = new FileChannelStore(path);
        await store.SaveAsync(new byte[] { 7 }, CancellationToken.None);
        // A crash between writing the temporary file and the rename leaves a stray temporary.
        await File.WriteAllBytesAsync(Path.Combine(_dir, ".bob.channel.deadbeef.tmp"), [9, 9, 9]);
        Assert.Equal([7], await new FileChannelStore(path).LoadAsync(CancellationToken.None));
    }

    [Fact]
    public async Task CancelledSave_KeepsThePreviousState_AndDeletesItsTemporary()
    {
        var store = new FileChannelStore(Path.Combine(_dir, "dave.channel"));
        await store.SaveAsync(new byte[] { 1 }, CancellationToken.None);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SaveAsync(new byte[] { 2 }, cancelled.Token));
        Assert.Equal([1], await store.LoadAsync(CancellationToken.None));
        Assert.Equal(["dave.channel"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FailedRename_ThrowsAndDeletesItsTemporary()
    {
        // The target path is a directory: the rename over it fails after the temporary was written.
        var target = Path.Combine(_dir, "erin.channel");
        Directory.CreateDirectory(target);
        await Assert.ThrowsAnyAsync<IOException>(() => new FileChannelStore(target).SaveAsync(new byte[] { 3 }, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(_dir));
    }

    [Fact]
    public async Task ManySaves_DoNotLeakFileDescriptors()
    {
        // Each save opens the directory to fsync it; a handle left open would pile up here.
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("counts descriptors in /proc/self/fd");
        }

        var store = new FileChannelStore(Path.Combine(_dir, "frank.channel"));
        for (var i = 0; i < 300; i++)
        {
            await store.SaveAsync(BitConverter.GetBytes(i), CancellationToken.None);
        }

        // Only descriptors on our folder count: other tests run in parallel in this process.
        var ours = Directory.GetFileSystemEntries("/proc/self/fd")
            .Select(fd => { try { return new FileInfo(fd).LinkTarget; } catch (IOException) { return null; } })
            .Count(target => target is not null && target.StartsWith(_dir, StringComparison.Ordinal));
        Assert.Equal(0, ours);
        Assert.Equal(BitConverter.GetBytes(299), await store.LoadAsync(CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
