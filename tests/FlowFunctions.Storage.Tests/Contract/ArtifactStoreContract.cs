using System.Text;

namespace FlowFunctions.Storage.Tests.Contract;

/// <summary>What every <see cref="IArtifactStore"/> must do: immutable blobs addressed by their SHA-256.</summary>
public abstract class ArtifactStoreContract : FlowStoreContract
{
    // Known answers (FIPS 180-2 "abc" and the empty message), so the hash format is checked against SHA-256 itself.
    private const string AbcHash = "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private const string EmptyHash = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private static readonly CancellationToken None = CancellationToken.None;

    private IArtifactStore Artifacts => Store.Artifacts;

    [ContractFact]
    public async Task Put_Content_ReturnsLowercaseSha256AndGetRoundTrips()
    {
        var hash = await Artifacts.PutAsync(Encoding.ASCII.GetBytes("abc"), None);

        hash.ShouldBe(AbcHash);
        (await Artifacts.GetAsync(hash, None)).ShouldBe(Encoding.ASCII.GetBytes("abc"));
    }

    [ContractFact]
    public async Task Put_EmptyContent_RoundTrips()
    {
        var hash = await Artifacts.PutAsync(ReadOnlyMemory<byte>.Empty, None);

        hash.ShouldBe(EmptyHash);
        (await Artifacts.GetAsync(hash, None)).ShouldBe([]);
    }

    [ContractFact]
    public async Task Put_SameContentTwice_ReturnsSameHashAndKeepsContent()
    {
        var content = Encoding.UTF8.GetBytes("{\"output\":[1,2,3]}");

        var first = await Artifacts.PutAsync(content, None);
        var second = await Artifacts.PutAsync(content.AsMemory(), None);

        second.ShouldBe(first);
        (await Artifacts.GetAsync(first, None)).ShouldBe(content);
    }

    [ContractFact]
    public async Task Put_LargeContent_RoundTripsEveryByte()
    {
        var content = new byte[3 * 1024 * 1024 + 17];
        for (var i = 0; i < content.Length; i++)
        {
            content[i] = (byte)(i * 31 % 251);
        }

        var hash = await Artifacts.PutAsync(content, None);

        (await Artifacts.GetAsync(hash, None)).ShouldBe(content);
    }

    [ContractFact]
    public async Task Put_SliceOfLargerBuffer_StoresOnlyTheSlice()
    {
        var buffer = Encoding.ASCII.GetBytes("xxabcxx");

        var hash = await Artifacts.PutAsync(buffer.AsMemory(2, 3), None);

        hash.ShouldBe(AbcHash);
        (await Artifacts.GetAsync(hash, None)).ShouldBe(Encoding.ASCII.GetBytes("abc"));
    }

    [ContractFact]
    public async Task Get_UnknownHash_ReturnsNull()
    {
        await Artifacts.PutAsync(Encoding.ASCII.GetBytes("something else"), None);

        (await Artifacts.GetAsync(AbcHash, None)).ShouldBeNull();
    }

    [ContractTheory]
    [InlineData("abc")]
    [InlineData("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD")]
    [InlineData("sha256:../../etc/passwd")]
    [InlineData("md5:900150983cd24fb0d6963f7d28e17f72")]
    public async Task Get_MalformedHash_ThrowsArgumentException(string hash)
    {
        await Should.ThrowAsync<ArgumentException>(() => Artifacts.GetAsync(hash, None));
    }
}
