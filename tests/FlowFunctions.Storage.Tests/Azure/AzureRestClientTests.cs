using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Tests.Contract;
using global::Azure.Core;
using global::Azure.Core.Pipeline;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>
/// The REST clients' operations beyond what the store's contract suites exercise: block uploads, ranges, properties,
/// deletes and listings of blobs; peeking queues; merging and projecting table entities. Against Azurite.
/// </summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
public sealed class AzureRestClientTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string prefix = "t" + Guid.NewGuid().ToString("N")[..16];
    private HttpPipeline blobPipeline = null!;
    private AzureBlobClient blobs = null!;
    private AzureQueueClient queues = null!;
    private AzureTableClient tables = null!;
    private Uri blobEndpoint = null!;

    private string Container => prefix + "-rest";

    private string Queue => prefix + "-rest";

    private string Table => prefix + "rest";

    public async Task InitializeAsync()
    {
        var account = StorageAccount.Parse(AzuriteStorage.ConnectionString);
        var options = new AzureFlowStoreOptions { MaxRetries = 2 };
        blobEndpoint = account.BlobEndpoint;
        blobPipeline = StoragePipelineFactory.Create(account, tableService: false, null, options, TimeProvider.System);

        // A small threshold and block size, so that a few KiB go up in blocks.
        blobs = new AzureBlobClient(blobPipeline, account.BlobEndpoint) { BlockUploadThreshold = 1024, BlockSize = 1000 };
        queues = new AzureQueueClient(StoragePipelineFactory.Create(account, tableService: false, null, options, TimeProvider.System), account.QueueEndpoint);
        tables = new AzureTableClient(StoragePipelineFactory.Create(account, tableService: true, null, options, TimeProvider.System), account.TableEndpoint);
        await blobs.CreateContainerIfNotExistsAsync(Container, None);
        await queues.CreateIfNotExistsAsync(Queue, None);
        await tables.CreateTableIfNotExistsAsync(Table, None);
    }

    public async Task DisposeAsync()
    {
        await blobs.DeleteContainerIfExistsAsync(Container, None);
        await queues.DeleteIfExistsAsync(Queue, None);
        await tables.DeleteTableIfExistsAsync(Table, None);
    }

    [ContractFact]
    public async Task Put_AboveTheThreshold_UploadsBlocks_CommitsThemInOrder_AndStillOnlyIfAbsent()
    {
        var content = Bytes(3500);

        (await blobs.PutIfAbsentAsync(Container, "big", content, None)).ShouldBeTrue();
        (await blobs.PutIfAbsentAsync(Container, "big", Bytes(3500, seed: 2), None)).ShouldBeFalse("If-None-Match: * on the block list");

        (await blobs.GetAsync(Container, "big", None)).ShouldBe(content);
        (await CommittedBlockSizesAsync("big")).ShouldBe([1000, 1000, 1000, 500]);
    }

    [ContractFact]
    public async Task Put_AtTheThreshold_IsOnePutBlob()
    {
        var content = Bytes(1024);

        (await blobs.PutIfAbsentAsync(Container, "small", content, None)).ShouldBeTrue();
        (await blobs.PutIfAbsentAsync(Container, "small", content, None)).ShouldBeFalse();

        (await blobs.GetAsync(Container, "small", None)).ShouldBe(content);
        (await CommittedBlockSizesAsync("small")).ShouldBeEmpty("Put Blob commits no named blocks");
    }

    [ContractFact]
    public async Task GetRange_ReturnsTheBytesAskedFor_ClippedToTheEnd()
    {
        var content = Bytes(3000);
        await blobs.PutIfAbsentAsync(Container, "ranged", content, None);

        (await blobs.GetRangeAsync(Container, "ranged", 10, 20, None)).ShouldBe(content[10..30]);
        (await blobs.GetRangeAsync(Container, "ranged", 2990, 100, None)).ShouldBe(content[2990..]);
        (await blobs.GetRangeAsync(Container, "ranged", 2000, null, None)).ShouldBe(content[2000..]);
        (await blobs.GetRangeAsync(Container, "ranged", 3000, 10, None)).ShouldBeEmpty();
        (await blobs.GetRangeAsync(Container, "missing", 0, 10, None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task GetProperties_GivesLengthAndETag_OrNullWhenMissing()
    {
        await blobs.PutIfAbsentAsync(Container, "props", Bytes(1500), None);

        var properties = (await blobs.GetPropertiesAsync(Container, "props", None)).ShouldNotBeNull();

        properties.Length.ShouldBe(1500);
        properties.ETag.ShouldNotBeNullOrEmpty();
        properties.ContentType.ShouldBe("application/octet-stream");
        properties.LastModified.ShouldNotBeNull().ShouldBeGreaterThan(DateTimeOffset.UtcNow.AddMinutes(-5));
        (await blobs.GetPropertiesAsync(Container, "missing", None)).ShouldBeNull();
        (await blobs.GetPropertiesAsync(prefix + "-nocontainer", "props", None)).ShouldBeNull();
    }

    [ContractFact]
    public async Task Delete_RemovesTheBlob_AndSaysWhetherItExisted()
    {
        await blobs.PutIfAbsentAsync(Container, "doomed", Bytes(10), None);

        (await blobs.DeleteAsync(Container, "doomed", None)).ShouldBeTrue();
        (await blobs.DeleteAsync(Container, "doomed", None)).ShouldBeFalse();
        (await blobs.GetAsync(Container, "doomed", None)).ShouldBeNull();
        (await blobs.PutIfAbsentAsync(Container, "doomed", Bytes(10), None)).ShouldBeTrue("the name is free again");
    }

    [ContractFact]
    public async Task List_ByPrefix_PagesWithMarkers_InNameOrder()
    {
        foreach (var name in new[] { "runs/b", "runs/a", "runs/c", "other/a" })
        {
            await blobs.PutIfAbsentAsync(Container, name, Encoding.UTF8.GetBytes(name), None);
        }

        var first = await blobs.ListAsync(Container, "runs/", 2, null, None);
        first.Blobs.ShouldBe([("runs/a", 6L), ("runs/b", 6L)]);
        first.NextMarker.ShouldNotBeNull();

        var second = await blobs.ListAsync(Container, "runs/", 2, first.NextMarker, None);
        second.Blobs.ShouldBe([("runs/c", 6L)]);
        second.NextMarker.ShouldBeNull();

        (await blobs.ListAsync(Container, string.Empty, null, null, None)).Blobs.Count.ShouldBe(4);
        (await blobs.ListAsync(Container, "none/", null, null, None)).Blobs.ShouldBeEmpty();
        (await blobs.ListAsync(prefix + "-nocontainer", string.Empty, null, null, None)).Blobs.ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Peek_ShowsVisibleMessagesInOrder_WithoutTakingThem()
    {
        await queues.PutAsync(Queue, Convert.ToBase64String("one"u8.ToArray()), 0, None);
        await queues.PutAsync(Queue, Convert.ToBase64String("two"u8.ToArray()), 0, None);
        await queues.PutAsync(Queue, Convert.ToBase64String("later"u8.ToArray()), 60, None);

        var peeked = await queues.PeekAsync(Queue, 32, None);

        peeked.Select(m => Encoding.UTF8.GetString(Convert.FromBase64String(m.MessageText))).ShouldBe(["one", "two"]);
        peeked.ShouldAllBe(m => m.DequeueCount == 0);
        var taken = await queues.GetAsync(Queue, 32, 30, None);
        taken.Select(m => m.MessageId).ShouldBe(peeked.Select(m => m.MessageId), "peeking hid nothing");
        (await queues.PeekAsync(Queue, 32, None)).ShouldBeEmpty("taken messages are invisible to peeks too");
        (await queues.PeekAsync(prefix + "-noqueue", 1, None)).ShouldBeEmpty();
    }

    [ContractFact]
    public async Task Merge_WithTheCurrentETag_SetsPropertiesAndKeepsTheRest_AStaleOrMissingOneIsNull()
    {
        var first = await tables.UpsertAsync(Table, "p", "r", new JsonObject { ["A"] = 1, ["B"] = "x" }, None);

        var second = await tables.MergeAsync(Table, "p", "r", new JsonObject { ["B"] = "y", ["C"] = true }, first, None);

        second.ShouldNotBeNull().ShouldNotBe(first);
        var entity = (await tables.GetAsync(Table, "p", "r", None)).ShouldNotBeNull();
        entity.Properties["A"]!.GetValue<int>().ShouldBe(1);
        entity.Properties["B"]!.GetValue<string>().ShouldBe("y");
        entity.Properties["C"]!.GetValue<bool>().ShouldBeTrue();
        (await tables.MergeAsync(Table, "p", "r", new JsonObject { ["B"] = "z" }, first, None)).ShouldBeNull("stale ETag");
        (await tables.MergeAsync(Table, "p", "missing", new JsonObject { ["B"] = "z" }, "*", None)).ShouldBeNull("no entity");
        (await tables.MergeAsync(Table, "p", "r", new JsonObject { ["D"] = 4 }, "*", None)).ShouldNotBeNull();
        (await tables.GetAsync(Table, "p", "r", None))!.Properties["B"]!.GetValue<string>().ShouldBe("y");
    }

    [ContractFact]
    public async Task Query_WithSelectAndTop_ReturnsOnlyThoseProperties_PageByPageWithContinuations()
    {
        for (var i = 0; i < 5; i++)
        {
            await tables.UpsertAsync(Table, "p", $"r{i}", new JsonObject { ["A"] = i, ["B"] = new string('b', 10) }, None);
        }

        await tables.UpsertAsync(Table, "q", "r9", new JsonObject { ["A"] = 9 }, None);
        var rows = new List<TableEntity>();
        (string, string)? continuation = null;
        var pages = 0;
        do
        {
            var page = await tables.QueryAsync(Table, "PartitionKey eq 'p'", 2, continuation, ["A"], None);
            page.Entities.Count.ShouldBeLessThanOrEqualTo(2);
            rows.AddRange(page.Entities);
            continuation = page.Continuation;
            pages++;
        }
        while (continuation is not null);

        pages.ShouldBeGreaterThanOrEqualTo(3);
        rows.Select(r => r.RowKey).ShouldBe(["r0", "r1", "r2", "r3", "r4"]);
        rows.Select(r => r.Properties["A"]!.GetValue<int>()).ShouldBe([0, 1, 2, 3, 4]);
        rows.ShouldAllBe(r => !r.Properties.ContainsKey("B"));
        rows.ShouldAllBe(r => r.PartitionKey == "p");
    }

    private static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Get Block List (committed): the sizes of the blob's named blocks, to see that blocks were used.</summary>
    private async Task<IReadOnlyList<long>> CommittedBlockSizesAsync(string blob)
    {
        using var message = blobPipeline.CreateMessage();
        message.Request.Method = RequestMethod.Get;
        message.Request.Uri.Reset(new Uri($"{blobEndpoint.AbsoluteUri.TrimEnd('/')}/{Container}/{blob}?comp=blocklist&blocklisttype=committed"));
        message.Request.Headers.SetValue("x-ms-version", AzureQueueClient.ServiceVersion);
        await blobPipeline.SendAsync(message, None);
        message.Response.Status.ShouldBe(200, message.Response.Content.ToString());
        return [.. XDocument.Parse(message.Response.Content.ToString()).Root!.Element("CommittedBlocks")?.Elements("Block")
            .Select(b => long.Parse(b.Element("Size")!.Value, System.Globalization.CultureInfo.InvariantCulture)) ?? []];
    }
}
