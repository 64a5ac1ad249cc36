using System.Collections.Concurrent;
using System.Text;
using FlowFunctions.Storage.Azure;
using FlowFunctions.Storage.Tests.Contract;
using global::Azure.Core;
using global::Azure.Core.Pipeline;
using global::Azure.Storage.Blobs;
using global::Azure.Storage.Blobs.Models;
using global::Azure.Storage.Blobs.Specialized;

namespace FlowFunctions.Storage.Tests.Azure;

/// <summary>
/// How the store drives the SDK clients, beyond what the contract suites see: conditional artifact uploads in one
/// request or in blocks, never overwriting a stored hash, and the per-attempt policies the benchmark counts requests with.
/// Against Azurite.
/// </summary>
[RequiresEnvironmentVariable(AzuriteStorage.Variable, AzuriteStorage.SkipReason)]
public sealed class AzureSdkClientTests : IAsyncLifetime
{
    private static readonly CancellationToken None = CancellationToken.None;

    private readonly string prefix = "t" + Guid.NewGuid().ToString("N")[..16];
    private BlobContainerClient container = null!;
    private AzureArtifactStore artifacts = null!;

    public async Task InitializeAsync()
    {
        var clients = AzureServiceClients.ForStore(AzuriteStorage.ConnectionString, new AzureFlowStoreOptions { MaxRetries = 2 });
        container = clients.Blobs(clients.BlobOptions()).GetBlobContainerClient(prefix + "-sdk");

        // A small threshold and block size, so that a few KiB go up in blocks.
        artifacts = new AzureArtifactStore(container) { BlockUploadThreshold = 1024, BlockSize = 1024 };
        await artifacts.EnsureContainerAsync(None);
    }

    public async Task DisposeAsync() => await container.DeleteIfExistsAsync(cancellationToken: None);

    [ContractFact]
    public async Task Put_AboveTheThreshold_UploadsBlocks_CommittedInOrder()
    {
        var content = Bytes(3500);

        var hash = await artifacts.PutAsync(content, None);

        (await artifacts.GetAsync(hash, None)).ShouldBe(content);
        (await CommittedBlockSizesAsync(hash)).ShouldBe([1024, 1024, 1024, 428]);
        (await artifacts.PutAsync(content, None)).ShouldBe(hash, "a second put of the same bytes is a success");
    }

    [ContractFact]
    public async Task Put_BelowTheThreshold_IsOnePutBlob()
    {
        var content = Bytes(1023);

        var hash = await artifacts.PutAsync(content, None);

        (await artifacts.GetAsync(hash, None)).ShouldBe(content);
        (await CommittedBlockSizesAsync(hash)).ShouldBeEmpty("Put Blob commits no named blocks");
        (await artifacts.PutAsync(content, None)).ShouldBe(hash);
    }

    [ContractTheory]
    [InlineData(100)]
    [InlineData(3500)]
    public async Task Put_HashAlreadyStored_NeverOverwritesIt(int length)
    {
        // Another writer's blob under the hash (what a content-addressed name can only hold in theory): If-None-Match: *
        // on Put Blob and on Put Block List keeps it, whichever way the bytes would go up.
        var content = Bytes(length);
        var hash = ArtifactHash.Of(content);
        var existing = Bytes(10, seed: 9);
        await container.GetBlobClient(hash).UploadAsync(new BinaryData(existing), None);

        (await artifacts.PutAsync(content, None)).ShouldBe(hash);

        (await artifacts.GetAsync(hash, None)).ShouldBe(existing);
    }

    [ContractFact]
    public async Task AdditionalPolicies_SeeEveryRequest_AndCreationHappensOncePerProcess()
    {
        var counter = new CountingPolicy();
        var storage = new AzuriteStorage();
        var options = new AzureFlowStoreOptions { NamePrefix = storage.Prefix, AdditionalPolicies = [counter] };
        await using (var store = new AzureFlowStore(AzuriteStorage.ConnectionString, TimeProvider.System, options))
        {
            try
            {
                await store.Partitions.ExecuteAsync("run-1", [new RowOperation.Insert("seq|1", "{}")], None);
                counter.Take().ShouldBe(["POST /Tables", "POST /$batch"], "create the table once, then the transaction");

                await store.Partitions.ExecuteAsync("run-1", [new RowOperation.Delete("seq|1"), new RowOperation.Insert("seq|2", "{}")], None);
                (await store.Partitions.GetAsync("run-1", "seq|2", None)).ShouldNotBeNull();
                counter.Take().ShouldBe(["POST /$batch", "GET /(PartitionKey)"], "a warm table costs one request per operation");

                await store.Queues.EnqueueAsync("work", "{}", TimeSpan.Zero, None);
                var taken = await store.Queues.DequeueAsync("work", 8, TimeSpan.FromSeconds(30), None);
                (await store.Queues.DeleteAsync("work", taken.ShouldHaveSingleItem(), None)).ShouldBeTrue();
                counter.Take().ShouldBe(["PUT /queue", "POST /messages", "GET /messages", "DELETE /messages"]);

                var hash = await store.Artifacts.PutAsync(new byte[] { 1, 2, 3 }, None);
                await store.Artifacts.PutAsync(new byte[] { 1, 2, 3 }, None);
                (await store.Artifacts.GetAsync(hash, None)).ShouldBe(new byte[] { 1, 2, 3 });
                counter.Take().ShouldBe(["PUT /container", "PUT /blob", "PUT /blob", "GET /blob"], "the second put is one conditional request, not a read first");
            }
            finally
            {
                await storage.DeleteAsync();
            }
        }
    }

    [ContractFact]
    public async Task Transaction_RetriedAfterATransportError_SendsTheSameBodyAgain_AndCommitsOnce()
    {
        // BatchBodyOncePolicy serializes a $batch body once, into a pooled buffer, before the retry policy: every attempt
        // must still carry the whole body, and the buffer must outlive the retries.
        var failFirst = new FailFirstBatchPolicy();
        var storage = new AzuriteStorage();
        var options = new AzureFlowStoreOptions { NamePrefix = storage.Prefix, AdditionalPolicies = [failFirst] };
        await using var store = new AzureFlowStore(AzuriteStorage.ConnectionString, TimeProvider.System, options);
        try
        {
            var value = new string('v', 40_000);
            await store.Partitions.ExecuteAsync("run-1", [new RowOperation.Insert("a", value), new RowOperation.Upsert("b", "{}")], None);

            failFirst.Bodies.Count.ShouldBe(2, "one failed attempt, one retry");
            failFirst.Bodies[1].ShouldBe(failFirst.Bodies[0]);
            Encoding.UTF8.GetString(failFirst.Bodies[1]).ShouldContain(value[..1000]);
            (await store.Partitions.GetAsync("run-1", "a", None))!.Value.ShouldBe(value);
            (await store.Partitions.QueryAsync("run-1", string.Empty, None)).Select(row => row.Key).ShouldBe(["a", "b"]);
        }
        finally
        {
            await storage.DeleteAsync();
        }
    }

    private static byte[] Bytes(int length, int seed = 1)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>The sizes of the blob's committed named blocks, to see whether blocks were used.</summary>
    private async Task<IReadOnlyList<long>> CommittedBlockSizesAsync(string blob)
    {
        var list = await container.GetBlockBlobClient(blob).GetBlockListAsync(BlockListTypes.Committed, cancellationToken: None);
        return [.. list.Value.CommittedBlocks.Select(block => block.SizeLong)];
    }

    /// <summary>Records the body of every $batch attempt and fails the first one as a dropped connection would.</summary>
    private sealed class FailFirstBatchPolicy : HttpPipelinePolicy
    {
        public List<byte[]> Bodies { get; } = [];

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) => throw new NotSupportedException("the store calls async");

        public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            if (message.Request.Uri.Path.EndsWith("/$batch", StringComparison.Ordinal))
            {
                using var body = new MemoryStream();
                await message.Request.Content!.WriteToAsync(body, message.CancellationToken);
                Bodies.Add(body.ToArray());
                if (Bodies.Count == 1)
                {
                    throw new IOException("connection reset (test)");
                }
            }

            await ProcessNextAsync(message, pipeline);
        }
    }

    /// <summary>Records each request as "{method} {what}", coarse enough to read in an assertion.</summary>
    private sealed class CountingPolicy : HttpPipelinePolicy
    {
        private readonly ConcurrentQueue<string> requests = new();

        public IReadOnlyList<string> Take()
        {
            var taken = new List<string>();
            while (requests.TryDequeue(out var request))
            {
                taken.Add(request);
            }

            return taken;
        }

        public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            requests.Enqueue(Describe(message.Request));
            ProcessNext(message, pipeline);
        }

        public override ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
        {
            requests.Enqueue(Describe(message.Request));
            return ProcessNextAsync(message, pipeline);
        }

        private static string Describe(Request request)
        {
            var uri = request.Uri.ToUri();
            var path = Uri.UnescapeDataString(uri.AbsolutePath);
            var what = path.EndsWith("/Tables", StringComparison.Ordinal) ? "/Tables"
                : path.EndsWith("/$batch", StringComparison.Ordinal) ? "/$batch"
                : path.Contains("(PartitionKey=", StringComparison.Ordinal) ? "/(PartitionKey)"
                : path.Contains("/messages", StringComparison.Ordinal) ? "/messages"
                : uri.Query.Contains("restype=container", StringComparison.Ordinal) ? "/container"
                : path.Contains("sha256:", StringComparison.Ordinal) ? "/blob"
                : "/queue";
            return request.Method.Method + " " + what;
        }
    }
}
