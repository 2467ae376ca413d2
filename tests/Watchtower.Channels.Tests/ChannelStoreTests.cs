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
    public async Task InterruptedWrite_LeavesThePreviousStateReadable()
    {
        var path = Path.Combine(_dir, "bob.channel");
        var store = new FileChannelStore(path);
        await store.SaveAsync(new byte[] { 7 }, CancellationToken.None);
        // A crash between writing the temporary file and the rename leaves a stray temporary.
        await File.WriteAllBytesAsync(Path.Combine(_dir, ".bob.channel.deadbeef.tmp"), [9, 9, 9]);
        Assert.Equal([7], await new FileChannelStore(path).LoadAsync(CancellationToken.None));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
